"""A binding's condition: a Django template ``{% if %}`` expression, checked at send time
against the order as it is then (re-read from the database), over the same variables the
parameters see when the event happens (``order``, ``customer_name``, ``order_code``,
``phone``, ``event``, ``now``; an event's extra keyword arguments are not kept)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.db.models import QuerySet
from django.template import Context, TemplateSyntaxError
from django.template.base import Template as CompiledTemplate
from django.utils.translation import gettext as _

from zns_notify.rendering.engine import bounded_rows, compile_if_expression, spend
from zns_notify.rendering.order_data import order_variables, read_order
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
    unknown variable (false).

    Each call is a step of the render's budget (:mod:`~zns_notify.rendering.engine`), and a
    related set is read at most one row past the budget (``bounded_rows``): a loop of
    ``order.customer.orders.count`` stops with the render, ``len()`` of a million orders
    does not load them."""

    __slots__ = ("_zns_target", "_zns_rows")

    def __init__(self, target: Any):
        object.__setattr__(self, "_zns_target", target)
        object.__setattr__(self, "_zns_rows", None)

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
            return functools.partial(_call, value)
        return read_only(value)

    def _zns_items(self) -> Any:
        """What ``len``, ``in`` and iteration read: a queryset's rows within the budget,
        fetched once (a loop takes its length, then walks it)."""
        if not isinstance(self._zns_target, QuerySet):
            return self._zns_target
        if self._zns_rows is None:
            object.__setattr__(self, "_zns_rows", bounded_rows(self._zns_target))
        return self._zns_rows

    def __getitem__(self, key: Any) -> Any:
        value = self._zns_target[key]
        spend()  # after: a key the target refuses (Django tries one first) costs nothing
        return read_only(value)

    def __iter__(self):
        return (read_only(item) for item in self._zns_items())

    def __reversed__(self):
        return (read_only(item) for item in reversed(self._zns_items()))

    def __len__(self) -> int:
        return len(self._zns_items())

    def __bool__(self) -> bool:
        if isinstance(self._zns_target, QuerySet) and self._zns_rows is None:
            spend()
            return self._zns_target[:1].exists()  # one row, never the whole set
        return bool(self._zns_items())

    def __contains__(self, item: Any) -> bool:
        return item in self._zns_items()

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, ReadOnly):
            other = other._zns_target
        return self._zns_target == other

    def __hash__(self) -> int:
        return hash(self._zns_target)

    def __str__(self) -> str:
        return str(self._zns_target)


def _call(method: Callable[[], Any]) -> Any:
    spend()  # before: the call may run a query (count, exists, first…)
    return read_only(method())


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
        **order_variables(order, wrap=read_only),
    }
