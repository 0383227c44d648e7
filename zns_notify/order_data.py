"""Read what zns_notify needs from the host's order without importing the host's models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .conf import app_settings


def resolve(obj: Any, accessor: str | Callable[[Any], Any]) -> Any:
    """A callable is called with the order; a string is an attribute path (``customer.phone``).

    A callable attribute at the end of the path (a method) is called without arguments.
    """
    if callable(accessor):
        return accessor(obj)
    value = obj
    for part in str(accessor).split("."):
        if value is None:
            return None
        value = getattr(value, part)
    return value() if callable(value) else value


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
