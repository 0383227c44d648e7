"""The send gate: whether a claimed message may go to Zalo now, decided on the worker's
thread right before the HTTP call, once per message, so every rule added here applies to
every send.

In order: the account's holds and quota ledger (:func:`zns_notify.account.quota.check`),
the message's template, then the shop's rules (:func:`zns_notify.policy.rules.check`),
which may reserve the recipient's cap slot. A message stopped here is recorded
(:func:`zns_notify.sending.record.record_outcome`) without any call to Zalo. The loop
also keeps back what the day's quota cannot cover while earlier sends are still in flight
(:func:`quota_room`).
"""

from __future__ import annotations

import math

from django.utils.translation import gettext as _

from zns_notify.account import holds, quota
from zns_notify.exceptions import ZnsTemplateNotFound
from zns_notify.lib import clock
from zns_notify.models import Message, ZaloAccount, ZaloQuota
from zns_notify.policy import rules as policy
from zns_notify.zalo.errors import ErrorAction

#: What :func:`gate` raises: the message waits, fails or is decided by the shop's policy.
STOPS = (quota.Deferred, ZnsTemplateNotFound, policy.Decision)


def gate(account: ZaloAccount, message: Message, known: quota.Standing | None = None) -> None:
    """Return when ``message`` may be sent now; otherwise raise one of :data:`STOPS`:

    - :class:`~zns_notify.account.quota.Deferred` when it must wait (a hold, no quota left
      today, its template not enabled);
    - :class:`~zns_notify.exceptions.ZnsTemplateNotFound` when its template is none the OA
      has: it cannot be sent at all;
    - :class:`~zns_notify.policy.rules.Decision` when the shop's policy defers, skips or
      cancels it.

    ``known``: the account's standing read once for a group of messages (else read now).
    """
    known = known or quota.standing(account)  # read once for the quota gate and the policy
    quota.check(account, message, known=known)
    template = message.template
    if template is None:
        raise ZnsTemplateNotFound(_not_enabled(message))
    if not template.is_sendable:
        # Its messages wait (the template may be approved or re-enabled) instead of failing.
        reason = _not_enabled(message)
        until = holds.hold(account, message, None, reason)
        raise quota.Deferred(reason, until=until, category=str(ErrorAction.CONFIG))
    # Last: the shop's rules (policy.md) may reserve the recipient's cap slot, which every
    # outcome but Zalo's acceptance gives back.
    policy.check(message, account, known=known)


def gate_all(
    account: ZaloAccount, messages: list[Message]
) -> tuple[list[Message], list[tuple[Message, Exception]]]:
    """:func:`gate` each of a group of claimed messages, reading the account's standing once
    for the group: return those that may go, and the others with what stopped them."""
    known = quota.standing(account)  # once for the group, not twice per message
    ready, stopped = [], []
    for message in messages:
        try:
            gate(account, message, known)
        except STOPS as exc:
            stopped.append((message, exc))
        else:
            ready.append(message)
    return ready, stopped


def quota_room(account: ZaloAccount, in_flight: int) -> float | None:
    """How many more billed sends may go while ``in_flight`` billed ones are unanswered.

    :func:`gate` sees the quota ledger as the last answer left it, not the sends still in
    flight: the day's remaining quota less those, None when nothing is known today, and
    infinity when Zalo sets the OA no daily limit (nothing to keep back)."""
    row = (
        ZaloQuota.objects.filter(account=account, day=clock.local_day())
        .only("remaining_quota", "unlimited")
        .first()
    )
    if row is not None and row.unlimited:
        return math.inf
    if row is None or row.remaining_quota is None:
        return None
    return max(row.remaining_quota - in_flight, 0)


def _not_enabled(message: Message) -> str:
    return _("Template %(id)s is not enabled on Zalo.") % {"id": message.zalo_template_id}
