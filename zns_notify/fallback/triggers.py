"""Which ZNS outcomes call for the SMS at once: the categories a binding chooses from.

Zalo reports delivery, not reading (zns-api.md §7), so a sent message falls back only
when no receipt came within the binding's window. Some answers say much earlier that
Zalo will never deliver; a binding lists which of them send the SMS at once
(``Binding.sms_triggers``). The codes come from zns-api.md §3 (zns_notify.zalo.errors).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# The categories are stored values, so they live with the models; default_triggers is
# imported here because migration 0016 names it zns_notify.fallback.triggers.default_triggers.
from zns_notify.models.fallback import (  # noqa: F401 (default_triggers: migration 0016)
    FAILED,
    NOT_ON_ZALO,
    QUOTA,
    REFUSED,
    TEMPLATE,
    UNDELIVERED,
    WINDOW,
    default_triggers,
)
from zns_notify.zalo.errors import TEMPLATE_SCOPED, ErrorAction

#: The phone has no Zalo account, or that account cannot receive ZNS.
NOT_ON_ZALO_CODES = frozenset({-118, -119, -114, -110})
#: The user refused this OA, this content type, or has not answered the opt-in.
REFUSED_CODES = frozenset({-139, -140, -141, -134})
#: The OA's or a template's quota: Zalo would take the message tomorrow (or next month).
QUOTA_CODES = frozenset({-144, -1441, -147, -1471, -1472})

CHOICES = (
    (NOT_ON_ZALO, _("Not on Zalo or cannot receive ZNS (-118, -119, -114, -110)")),
    (REFUSED, _("Refused or blocked by the user (-139, -140, -141, -134)")),
    (
        TEMPLATE,
        _(
            "Template not approved, disabled or not permitted (-109, -117, -131, "
            "-145, -146); the ZNS message is given up instead of waiting"
        ),
    ),
    (
        QUOTA,
        _(
            "Daily or monthly quota used up (-144, -1441, -147, -1471, -1472); the ZNS "
            "message is given up instead of waiting"
        ),
    ),
    (
        FAILED,
        _("Any other final failure (invalid data, retries used up, an unknown outcome given up)"),
    ),
    (UNDELIVERED, _("Zalo accepted it but reports it undelivered")),
)
KNOWN = frozenset(value for value, _label in CHOICES)
#: The categories that give up a wait: when the wait itself ends in a final failure, the
#: binding's ``failed`` trigger decides instead (zns_notify.fallback.steps.immediate_trigger).
WAITS = frozenset({TEMPLATE, QUOTA})


def category(action: str, code: int | None, *, final: bool) -> str | None:
    """The trigger category of a ZNS outcome (``action``: the error category stored on
    the message, ``code``: Zalo's), or None when it is no reason to send an SMS.

    ``final``: the message failed for good; otherwise it is about to wait (a hold, the
    quota), which only the TEMPLATE and QUOTA categories turn into a fallback.
    """
    if code in NOT_ON_ZALO_CODES:
        return NOT_ON_ZALO
    if code in REFUSED_CODES:
        return REFUSED
    if action == ErrorAction.CONFIG and (code is None or code in TEMPLATE_SCOPED):
        # code None: the gate's own hold of a template that is not ENABLE.
        return TEMPLATE
    if code in QUOTA_CODES:
        # Only Zalo's own answer: the messages the gate keeps back afterwards (the quota
        # ledger says 0 left) wait without a code, like those waiting for a reconnect.
        return QUOTA
    return FAILED if final else None
