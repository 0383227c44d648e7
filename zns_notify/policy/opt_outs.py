"""Opt-out for host code: ``zns_notify.opt_out(phone, reason=...)``, ``zns_notify.opt_in(phone)``.

An opted-out recipient gets no message of ``ZNS_NOTIFY["OPT_OUT_TAGS"]`` (CUSTOMER_CARE and
PROMOTION by default): the worker skips them with the reason. TRANSACTION messages still go.
"""

from __future__ import annotations

from django.utils import timezone

from zns_notify.lib.phones import normalize_phone
from zns_notify.models import RecipientOptOut


def opt_out(
    phone: str, *, reason: str = "", source: str = RecipientOptOut.Source.API
) -> RecipientOptOut:
    """Mark ``phone`` (any way people type it) as opted out; raises
    :class:`~zns_notify.exceptions.ZnsInvalidPhone` (a ValueError) for a number ZNS cannot
    reach. Opting out again updates the reason and time."""
    normalized = normalize_phone(phone)
    record, _created = RecipientOptOut.objects.update_or_create(
        phone=normalized,
        defaults={"reason": reason, "source": source, "opted_out_at": timezone.now()},
    )
    return record


def opt_in(phone: str) -> bool:
    """Remove ``phone``'s opt-out; False when it had none."""
    deleted, _rows = RecipientOptOut.objects.filter(phone=normalize_phone(phone)).delete()
    return bool(deleted)


def is_opted_out(phone: str) -> bool:
    return RecipientOptOut.objects.filter(phone=normalize_phone(phone)).exists()
