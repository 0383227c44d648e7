"""Filters available in binding expressions: Vietnamese money and date formats, truncation."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django import template
from django.utils.dateparse import parse_date, parse_datetime

from zns_notify.lib import clock
from zns_notify.lib.amounts import vnd

register = template.Library()

#: ``{{ order.total|vnd }}``: the SMS preview and the delivery log format amounts the same way.
register.filter(vnd)


def _local(value: object) -> dt.datetime | dt.date | None:
    if isinstance(value, str):
        # ISO 8601 text, as orders reported through the REST API carry dates.
        try:
            value = parse_date(value.strip()) or parse_datetime(value.strip())
        except ValueError:  # well formed but impossible, e.g. 2026-02-30
            return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value
        return clock.local_now(value)
    if isinstance(value, dt.date):
        return value
    return None


@register.filter
def zns_date(value: object) -> str:
    """A date or datetime (or ISO 8601 text) as dd/mm/yyyy in the shop's ZNS time zone."""
    local = _local(value)
    return local.strftime("%d/%m/%Y") if local else ""


@register.filter
def zns_datetime(value: object) -> str:
    """A datetime as hh:mm dd/mm/yyyy in the shop's ZNS time zone."""
    local = _local(value)
    if isinstance(local, dt.datetime):
        return local.strftime("%H:%M %d/%m/%Y")
    return local.strftime("%d/%m/%Y") if local else ""


@register.filter
def zns_time(value: object) -> str:
    """A datetime as hh:mm in the shop's ZNS time zone."""
    local = _local(value)
    return local.strftime("%H:%M") if isinstance(local, dt.datetime) else ""


ELLIPSIS = "…"


@register.filter
def zns_truncate(value: object, length: object) -> str:
    """At most ``length`` characters, counted after NFC as Zalo counts them; a value that
    is longer is cut and ends with "…" (which counts as one of the characters).

    Only a binding that asks for it truncates: without this filter an over-long value
    fails the message, naming the parameter, rather than sending a mangled one.
    """
    try:
        limit = int(str(length))
    except (TypeError, ValueError):
        return str(value)
    text = unicodedata.normalize("NFC", str(value)).strip()
    if limit < 1 or len(text) <= limit:
        return text if limit >= 1 else ""
    return text[: limit - 1].rstrip() + ELLIPSIS
