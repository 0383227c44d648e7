"""A binding's condition: a Django template ``{% if %}`` expression, checked at send time
against the order as it is then (re-read from the database), over the same variables the
parameters see when the event happens (``order``, ``customer_name``, ``order_code``,
``phone``, ``event``, ``now``; an event's extra keyword arguments are not kept)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.template import Context, TemplateSyntaxError
from django.template.base import Template as CompiledTemplate
from django.utils.translation import gettext as _

from .order_data import read_order
from .rendering import _engine

#: Template delimiters have no place in an expression: with them a condition could close
#: the if-tag and run other tags.
_DELIMITERS = ("{%", "%}", "{{", "}}", "{#", "#}")


@lru_cache(maxsize=256)
def compile_condition(source: str) -> CompiledTemplate:
    """Compile once per distinct condition; raise TemplateSyntaxError when it is not one
    well-formed if-expression."""
    source = source.strip()
    if not source:
        raise TemplateSyntaxError(_("The condition is empty."))
    if any(mark in source for mark in _DELIMITERS) or "\n" in source or "\r" in source:
        raise TemplateSyntaxError(
            _("Write the condition without template tags or braces, e.g. "
              'order.status == "new".'))
    return _engine().from_string("{% if " + source + " %}1{% endif %}")


def holds(source: str, context: dict[str, Any]) -> bool:
    return compile_condition(source).render(Context(context, autoescape=False)) == "1"


def reread_order(order_type: str, order_pk: str) -> Any | None:
    """The order as the database has it now, or None when it is gone (or was reported
    through the REST API, which keeps no order of its own)."""
    try:
        model = apps.get_model(order_type)
    except (LookupError, ValueError):
        return None
    try:
        return model._default_manager.filter(pk=order_pk).first()
    except Exception:  # noqa: BLE001 a pk this model cannot take (ValueError, ValidationError)
        return None


def send_time_context(message, order: Any, now: dt.datetime) -> dict[str, Any]:
    facts = read_order(order)
    return {
        "order": order,
        "customer_name": facts.customer_name,
        "order_code": facts.order_ref,
        "phone": message.phone,
        "event": message.event,
        "now": now,
    }
