"""What happens to a message after Zalo accepted it: delivered or undelivered.

Both the webhook receiver (``user_received_message``) and the reconciler
(:mod:`zns_notify.reconcile`, ``GET /message/status``) record outcomes through these two
functions, so that whichever comes first wins, the other changes nothing, and each signal
is sent once, after the commit. Status only moves forward: a conditional UPDATE from the
statuses that may still advance is what proves the caller made the transition.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import router, transaction
from django.utils import timezone

from zns_notify import signals
from zns_notify.fallback import receipts as fallback_receipts
from zns_notify.fallback import steps as fallback
from zns_notify.models import Message, MessageEvent

logger = logging.getLogger(__name__)

#: A receipt can beat the worker's "sent" write (it matches by tracking_id).
ADVANCEABLE_TO_DELIVERED = (Message.Status.QUEUED, Message.Status.SENDING, Message.Status.SENT)


def record_delivered(message: Message, delivered_at: dt.datetime, *, detail: str) -> bool:
    """Mark ``message`` delivered at ``delivered_at``; False if it already was, or is final.

    Writes a receipt on the timeline and sends ``message_delivered`` after the commit,
    only when this call made the transition (a repeated webhook or a reconciler that lost
    the race does nothing). Call it inside or outside a transaction.
    """
    with transaction.atomic(using=router.db_for_write(Message)):
        moved = Message.objects.filter(pk=message.pk, status__in=ADVANCEABLE_TO_DELIVERED).update(
            status=Message.Status.DELIVERED, delivered_at=delivered_at, next_status_check_at=None
        )
        if not moved:
            return False
        message.status, message.delivered_at = Message.Status.DELIVERED, delivered_at
        message.next_status_check_at = None
        MessageEvent.objects.create(
            message=message,
            kind=MessageEvent.Kind.RECEIPT,
            at=timezone.now(),
            status=Message.Status.DELIVERED,
            detail=detail[:2000],
        )
        signals.announce_on_commit(
            signals.message_delivered,
            using=router.db_for_write(Message),
            message=message,
            delivered_at=delivered_at,
        )
        fallback_receipts.on_receipt(message.pk)  # a pending SMS is cancelled
    return True


def record_undelivered(message: Message, reason: str) -> bool:
    """Mark a sent ``message`` undelivered (final; Zalo does not bill it); False if it is
    no longer "sent" (a receipt came meanwhile). Sends ``message_undelivered`` after the
    commit when this call made the transition."""
    now = timezone.now()
    with transaction.atomic(using=router.db_for_write(Message)):
        moved = Message.objects.filter(pk=message.pk, status=Message.Status.SENT).update(
            status=Message.Status.UNDELIVERED,
            error_message=reason[:2000],
            next_status_check_at=None,
        )
        if not moved:
            return False
        message.status, message.error_message = Message.Status.UNDELIVERED, reason[:2000]
        message.next_status_check_at = None
        MessageEvent.objects.create(
            message=message,
            kind=MessageEvent.Kind.NOTE,
            at=now,
            status=Message.Status.UNDELIVERED,
            detail=reason[:2000],
        )
        signals.announce_on_commit(
            signals.message_undelivered,
            using=router.db_for_write(Message),
            message=message,
            reason=reason,
        )
        fallback.on_undelivered(message, now)
    logger.info("zns message %s undelivered: %s", message.pk, reason)
    return True
