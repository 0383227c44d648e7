"""Which ZNS outcomes call for the SMS at once: the trigger a binding may choose for each.

Zalo reports delivery, not reading (zns-api.md §7), so a sent message falls back only
when no receipt came within the binding's window. Some answers say much earlier that
Zalo will never deliver; a binding lists which of them send the SMS at once
(``Binding.sms_triggers``, named in :mod:`zns_notify.models.sms_triggers`). The codes are
Zalo's (zns-api.md §3, :mod:`zns_notify.zalo.errors`).
"""

from __future__ import annotations

from zns_notify.models.sms_triggers import FAILED, NOT_ON_ZALO, QUOTA, REFUSED, TEMPLATE
from zns_notify.zalo.errors import (
    NOT_ON_ZALO_CODES,
    QUOTA_CODES,
    REFUSED_CODES,
    TEMPLATE_SCOPED,
    ErrorAction,
)

#: The triggers that give up a wait: when the wait itself ends in a final failure, the
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


def given_up_wait(action: str, code: int | None) -> str | None:
    """The trigger category of a wait that a message which must not wait (a one-time
    code's) gives up for the SMS: a hold (``config``) or the day's quota and Zalo's
    windows (``reschedule``); None for the others, short waits a retry outlasts (a lost
    database connection)."""
    if action not in (ErrorAction.CONFIG, ErrorAction.RESCHEDULE):
        return None
    found = category(action, code, final=False)
    if found is not None:
        return found
    if action == ErrorAction.RESCHEDULE and code is None:
        return QUOTA  # the gate's own stop: the quota ledger says none is left today
    return FAILED  # an account's hold, a window of Zalo's
