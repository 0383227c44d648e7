"""How the delivery log's pages write a time and a status: shared by the list's columns
(:mod:`zns_notify.admin.log`) and the detail page's timeline
(:mod:`zns_notify.admin.log_detail`)."""

from __future__ import annotations

from functools import lru_cache

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import get_language

from zns_notify.models import Message, WebhookEvent


def when(value, fmt: str = "SHORT_DATETIME_FORMAT") -> str:
    """A timestamp in the active language's format (vi: ``14:05 22-11-2026``), local time."""
    return date_format(timezone.localtime(value), fmt) if value else ""


def status_badge(status: str, label) -> str:
    return format_html('<span class="zns-badge zns-badge--{}">{}</span>', status, label)


@lru_cache(maxsize=16)
def _status_labels(language: str | None) -> dict[str, str]:
    """The statuses' labels in one language (get_status_display hashes every lazy label
    of the choices for each row); a webhook's outcome on the timeline too (no code is
    both)."""
    return {
        value: str(label)
        for value, label in [*Message.Status.choices, *WebhookEvent.Outcome.choices]
    }


def status_label(status: str) -> str:
    return _status_labels(get_language()).get(status, status)
