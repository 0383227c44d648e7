"""The vocabulary of ``Message.error_category`` (and ``DailyFailure.category``): the codes
stored when a message is not sent or not yet, and the names an operator reads for them.

The stored value is a code that filters, the API and the CSV exports keep; pages show its
name in the operator's language (:mod:`zns_notify.display.error_categories`). Six codes are
Zalo's classification of its answers, what the worker does next
(:class:`zns_notify.zalo.errors.ErrorAction`); four are the app's own decisions, defined
here. A message sent cleanly has none (``""``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zns_notify.zalo.errors import ErrorAction

#: A policy decision held, skipped or cancelled the message (zns_notify.policy.rules).
POLICY = "policy"
#: The last attempt had an unknown outcome (zns_notify.sending.ambiguity).
AMBIGUOUS = "ambiguous"
#: An operator cancelled the message (zns_notify.log.actions); also the ``rule`` its
#: ``message_skipped`` signal carries (docs/signals.md).
CANCELLED_BY_OPERATOR = "operator"
#: A one-time code stopped being live (superseded, used, locked, expired) before its
#: message went to Zalo, which cancelled it (zns_notify.otp.withdrawal); also the ``rule``
#: of its ``message_skipped``.
CODE_NO_LONGER_VALID = "code_no_longer_valid"


def labels() -> dict[str, str]:
    """Every category a message can carry, code → name (lazy: translated when shown)."""
    return {
        str(ErrorAction.RETRY): _("Temporary error"),
        str(ErrorAction.REFRESH): _("Access token refused"),
        str(ErrorAction.RESCHEDULE): _("Later (quota or hours)"),
        str(ErrorAction.CONFIG): _("Setup (account, template)"),
        str(ErrorAction.RECIPIENT): _("Recipient"),
        str(ErrorAction.PAYLOAD): _("Message data"),
        POLICY: _("Shop policy"),
        AMBIGUOUS: _("Outcome unknown"),
        CANCELLED_BY_OPERATOR: _("Cancelled by staff"),
        CODE_NO_LONGER_VALID: _("One-time code no longer valid"),
    }
