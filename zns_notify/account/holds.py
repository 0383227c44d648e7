"""Sending holds (:class:`~zns_notify.models.SendingHold`): a ``config`` error (billing, app
or OA setup, template not approved...) pauses the account, or the template, for
:data:`HOLD_RECHECK`; messages wait until then, and the next one due probes Zalo again.
An administrator sees the hold on the account page and can release it at once; a reconnect
(:func:`zns_notify.account.tokens.store_token_pair`) and a template sync finding the
template approved release it too. A message held longer than :data:`MAX_HOLD` after it
could first be sent fails for good.

The quota gate (:func:`zns_notify.account.quota.check`) reads the active holds; this module
writes and ends them.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from zns_notify.models import Binding, Message, MessageEvent, SendingHold, ZaloAccount
from zns_notify.zalo.errors import TEMPLATE_SCOPED

logger = logging.getLogger(__name__)

#: How long a config error pauses sending before the next message probes Zalo again.
HOLD_RECHECK = dt.timedelta(hours=1)
#: A message still held this long after it was created is failed: it is stale news.
MAX_HOLD = dt.timedelta(days=3)


def hold(
    account: ZaloAccount,
    message: Message,
    code: int | None,
    reason: str,
    now: dt.datetime | None = None,
) -> dt.datetime:
    """Pause the account (or the message's template, for template codes); return the end."""
    now = now or timezone.now()
    template = message.template if (code is None or code in TEMPLATE_SCOPED) else None
    until = now + HOLD_RECHECK
    values = dict(error_code=code, reason=reason[:2000], until=until)
    try:
        with transaction.atomic():
            holds = SendingHold.objects.select_for_update()
            found = holds.filter(account=account, template=template).first()
            if found is None:
                SendingHold.objects.create(
                    account=account, template=template, created_at=now, **values
                )
            else:
                SendingHold.objects.filter(pk=found.pk).update(**values)
    except IntegrityError:  # another worker created it meanwhile: theirs is as good
        pass
    scope = f"template {template.template_id}" if template else "the account"
    logger.warning("zns sending on hold for %s until %s: %s", scope, until, reason)
    return until


def release(holds) -> int:
    """End holds now and make the messages they held due (the admin's "release" action)."""
    now = timezone.now()
    count = 0
    for found in holds:
        held = Message.objects.filter(
            status=Message.Status.QUEUED, error_category="config", next_attempt_at__gt=now
        )
        if found.template_id:
            held = held.filter(template_id=found.template_id)
        held.update(next_attempt_at=now)
        SendingHold.objects.filter(pk=found.pk).update(until=now)
        count += 1
    return count


def held_too_long(message: Message, now: dt.datetime | None = None) -> bool:
    """True when ``message`` has waited on holds for more than :data:`MAX_HOLD` since it
    could first be sent: since it was written, or, later, since its delayed binding made it
    due or the policy engine last deferred it (neither is a hold)."""
    now = now or timezone.now()
    if now - message.created_at <= MAX_HOLD:
        return False
    since = message.created_at
    delay = (
        (
            Binding.objects.filter(pk=message.binding_id)
            .values_list("delay_minutes", flat=True)
            .first()
        )
        if message.binding_id
        else None
    )
    if delay:
        since = max(since, message.created_at + dt.timedelta(minutes=delay))
    deferred = (
        MessageEvent.objects.filter(message_id=message.pk, kind=MessageEvent.Kind.POLICY)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    if deferred is not None:
        since = max(since, deferred)
    return now - since > MAX_HOLD
