"""A binding's condition: a Django template ``{% if %}`` expression, checked at send time
against the order as it is then (re-read from the database), over the same variables the
parameters see when the event happens (``order``, ``customer_name``, ``order_code``,
``phone``, ``event``, ``now``; an event's extra keyword arguments are not kept)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.template import Context, TemplateSyntaxError
from django.template.base import Template as CompiledTemplate
from django.utils.translation import gettext as _

from zns_notify.rendering.engine import compile_if_expression
from zns_notify.rendering.order_data import read_order
from zns_notify.rendering.reported_order import REPORTED_ORDER_TYPE

#: Template delimiters have no place in an expression: with them a condition could close
#: the if-tag and run other tags.
_DELIMITERS = ("{%", "%}", "{{", "}}", "{#", "#}")


@lru_cache(maxsize=256)
def compile_condition(source: str) -> CompiledTemplate:
    """Compile once per distinct condition; raise TemplateSyntaxError when it is not one
    well-formed if-expression over the binding engine's filters."""
    source = source.strip()
    if not source:
        raise TemplateSyntaxError(_("The condition is empty."))
    if any(mark in source for mark in _DELIMITERS) or "\n" in source or "\r" in source:
        raise TemplateSyntaxError(
            _('Write the condition without template tags or braces, e.g. order.status == "new".')
        )
    return compile_if_expression(source)


def holds(source: str, context: dict[str, Any]) -> bool:
    return compile_condition(source).render(Context(context, autoescape=False)) == "1"


def reread_order(order_type: str, order_pk: str) -> Any | None:
    """The order as the database has it now, or None when it is gone (or was reported
    through the REST API, which keeps no order of its own)."""
    if order_type == REPORTED_ORDER_TYPE:  # never a host model that happens to be labelled so
        return None
    try:
        model = apps.get_model(order_type)
    except (LookupError, ValueError):
        return None
    try:
        return model._default_manager.filter(pk=order_pk).first()
    except Exception:  # noqa: BLE001 a pk this model cannot take (ValueError, ValidationError)
        return None


#: Values used as they are: their methods change nothing.
_PLAIN = (str, bytes, int, float, bool, Decimal, dt.date, dt.time, dt.timedelta, type(None))
#: Methods a condition may call: reading a related set, a choice's label.
_READ_METHODS = frozenset({"all", "count", "exists", "first", "last"})


class ReadOnly:
    """The order (and whatever is reached from it) as a condition sees it.

    Django's template engine calls every callable it meets unless it is marked
    ``alters_data``, and a shop's own methods (``Order.cancel()``, ``mark_paid()``) are not:
    a condition such as ``order.cancel`` would cancel the order at send time. Through this
    wrapper only fields, properties and a few read-only methods (``get_FOO_display``,
    ``count``, ``exists``, ``all``, ``first``, ``last``) resolve; any other method is an
    unknown variable (false)."""

    __slots__ = ("_zns_target",)

    def __init__(self, target: Any):
        object.__setattr__(self, "_zns_target", target)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._zns_target, name)
        if (
            callable(value)
            and not isinstance(value, _PLAIN)
            and not getattr(value, "do_not_call_in_templates", False)
        ):  # related sets
            if not (
                name in _READ_METHODS or (name.startswith("get_") and name.endswith("_display"))
            ):
                raise AttributeError(name)
            return lambda: read_only(value())
        return read_only(value)

    def __getitem__(self, key: Any) -> Any:
        return read_only(self._zns_target[key])

    def __iter__(self):
        return (read_only(item) for item in self._zns_target)

    def __len__(self) -> int:
        return len(self._zns_target)

    def __bool__(self) -> bool:
        return bool(self._zns_target)

    def __contains__(self, item: Any) -> bool:
        return item in self._zns_target

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, ReadOnly):
            other = other._zns_target
        return self._zns_target == other

    def __hash__(self) -> int:
        return hash(self._zns_target)

    def __str__(self) -> str:
        return str(self._zns_target)


def read_only(value: Any) -> Any:
    return value if isinstance(value, (_PLAIN, ReadOnly)) else ReadOnly(value)


def send_time_context(message, order: Any, now: dt.datetime) -> dict[str, Any]:
    facts = read_order(order)
    return {
        "order": read_only(order),
        "customer_name": facts.customer_name,
        "order_code": facts.order_ref,
        "phone": message.phone,
        "event": message.event,
        "now": now,
    }
