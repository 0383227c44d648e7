"""Read what zns_notify needs from the host's order without importing the host's models."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import Any

from django.core.exceptions import ObjectDoesNotExist

from zns_notify.conf import app_settings

#: The settings that say how to read an order, with what each reads.
ORDER_ACCESSORS = ("ORDER_PHONE", "ORDER_CUSTOMER_NAME", "ORDER_CODE")
#: The variables every binding's context has, whatever the settings (events/outbox.py):
#: ORDER_VARIABLES cannot replace them.
CONTEXT_VARIABLES = ("order", "customer_name", "order_code", "phone", "event", "now")


@functools.lru_cache(maxsize=256)
def _module(path: str) -> ModuleType | None:
    """The module ``path`` names, or None when there is no such module.

    Cached, "no such module" included: an attribute path such as ``customer.phone`` is
    tried as a module on every order read, and a failed import searches sys.path again
    each time. A module that exists but fails to import raises (its error, not a silent
    fallback to an attribute path), and is not cached."""
    try:
        return import_module(path)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if path == missing or path.startswith(missing + "."):
            return None
        raise  # the module exists; something it imports does not


def import_target(path: str) -> tuple[ModuleType | None, Any]:
    """(module, object) for a dotted path ``module.name``: (None, None) when the part
    before the last dot is no importable module, (module, None) when it has no such name."""
    module_path, _, name = path.rpartition(".")
    module = _module(module_path) if module_path else None
    return module, getattr(module, name, None) if module is not None else None


def callable_at(path: str) -> Callable[[Any], Any] | None:
    """The callable a string names when it is a dotted import path, else None.

    The rule (docs/settings.md): a string is the dotted path of a callable when the part
    before its last dot is an importable module holding a callable of that name
    (``"shop.utils.order_phone"``); any other string is an attribute path on the order
    (``"phone"``, ``"customer.phone"``).
    """
    _, target = import_target(path)
    return target if callable(target) else None


def resolve(obj: Any, accessor: Any) -> Any:
    """Read one value from the order, as an ORDER_* setting says (:func:`callable_at`).

    A callable, or the callable a dotted import path names, is called with the order. Any
    other string is an attribute path (``customer.phone``): a None on the way, or a related
    object that does not exist (an order without its one-to-one address), gives None, and
    a callable attribute at the end of the path (a method) is called without arguments.
    A list is a chain of fallbacks: the first accessor giving a non-empty value wins.
    """
    if isinstance(accessor, list | tuple):
        value = None
        for each in accessor:
            value = resolve(obj, each)
            if not _empty(value):
                return value
        return value
    try:
        return _resolve_one(obj, accessor)
    except ObjectDoesNotExist:  # a missing related object: no value, not a broken setting
        return None


def _resolve_one(obj: Any, accessor: str | Callable[[Any], Any]) -> Any:
    if callable(accessor):
        return accessor(obj)
    path = str(accessor)
    function = callable_at(path)
    if function is not None:
        return function(obj)
    value = obj
    for part in path.split("."):
        if value is None:
            return None
        value = getattr(value, part)
    return value() if callable(value) else value


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class LazyVariable:
    """One ORDER_VARIABLES value, read from the order the first time a binding uses it
    (Django's template engine calls a callable it finds in the context) and then kept for
    the event's other bindings. An accessor that fails makes the render fail, naming it."""

    def __init__(self, obj: Any, name: str, accessor: Any, wrap: Callable[[Any], Any] | None):
        self._obj, self._name, self._accessor, self._wrap = obj, name, accessor, wrap
        self._value: Any = _UNREAD

    def __call__(self) -> Any:
        if self._value is _UNREAD:
            try:
                value = resolve(self._obj, self._accessor)
            except Exception as exc:
                raise ValueError(
                    f'ZNS_NOTIFY["ORDER_VARIABLES"]["{self._name}"] = {self._accessor!r} '
                    f"failed: {type(exc).__name__}: {exc}"
                ) from exc
            value = "" if value is None else value
            self._value = self._wrap(value) if self._wrap is not None else value
        return self._value

    def __repr__(self) -> str:
        return f"<order variable {self._name}>"


_UNREAD = object()


def order_variables(obj: Any, wrap: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """The ORDER_VARIABLES of ``obj`` as context entries, each read when first used and
    passed through ``wrap`` (the read-only view where a condition or a preview reads it)."""
    return {
        name: LazyVariable(obj, name, accessor, wrap)
        for name, accessor in app_settings.ORDER_VARIABLES.items()
    }


@dataclass(frozen=True)
class OrderFacts:
    order_type: str
    order_pk: str
    order_ref: str
    raw_phone: str
    customer_name: str
    #: Accessors that failed, each naming its setting: the messages fail with this reason.
    problem: str = ""


def _read(obj: Any, key: str, problems: list[str]) -> str:
    accessor = getattr(app_settings, key)
    try:
        value = resolve(obj, accessor)
    except Exception as exc:  # host code or a mistyped path: report it, never raise
        problems.append(f'ZNS_NOTIFY["{key}"] = {accessor!r} failed: {type(exc).__name__}: {exc}')
        return ""
    return "" if value is None else str(value)


def read_order(obj: Any) -> OrderFacts:
    """Extract the identifying facts of an order through the ORDER_* accessors.

    An order that carries its own facts (an order reported through the REST API, which
    is no instance of the host's model) is taken at its word."""
    own = getattr(obj, "_zns_order_facts", None)
    if isinstance(own, OrderFacts):
        return own
    problems: list[str] = []
    pk = str(getattr(obj, "pk", "") or "")
    code = _read(obj, "ORDER_CODE", problems)
    return OrderFacts(
        order_type=obj._meta.label_lower if hasattr(obj, "_meta") else type(obj).__name__,
        order_pk=pk,
        order_ref=code or pk,
        raw_phone=_read(obj, "ORDER_PHONE", problems),
        customer_name=_read(obj, "ORDER_CUSTOMER_NAME", problems),
        problem="; ".join(problems),
    )
