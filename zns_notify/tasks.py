"""django-q2 entry points. They take keys, never model instances, and never raise for
provider errors (django-q2 would re-run a raising task forever on the ORM broker)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import Q
from django.utils import timezone

from .models import Message
from .outbox import push_send_task
from .sending import deliver

logger = logging.getLogger(__name__)

#: A message queued this long ago without being claimed has lost its queue task.
LOST_TASK_AFTER = dt.timedelta(minutes=2)
#: A message still "sending" after this long belongs to a worker that died.
SENDING_LEASE = dt.timedelta(minutes=5)
SWEEP_BATCH = 200


def send_messages(keys: list[str]) -> int:
    """Send each due message; return how many this call sent or settled."""
    from .zalo.client import ZaloClient

    client = ZaloClient.from_settings()
    return sum(1 for key in keys if deliver(key, client) is not None)


def sweep() -> int:
    """Re-enqueue due retries and messages whose task was lost; recover dead workers' rows.

    Scheduled every minute (see :func:`zns_notify.schedules.ensure_schedules`).
    """
    now = timezone.now()
    stale = Message.objects.filter(status=Message.Status.SENDING, claimed_at__lt=now - SENDING_LEASE)
    recovered = stale.update(status=Message.Status.QUEUED, next_attempt_at=now)
    due = Message.objects.filter(status=Message.Status.QUEUED).filter(
        Q(next_attempt_at__lte=now)
        | Q(next_attempt_at__isnull=True, created_at__lt=now - LOST_TASK_AFTER)
    )
    keys = list(due.order_by("next_attempt_at").values_list("idempotency_key", flat=True)[:SWEEP_BATCH])
    for start in range(0, len(keys), 20):
        push_send_task(keys[start : start + 20])
    if keys or recovered:
        logger.info("zns sweep: %s re-enqueued, %s recovered from dead workers", len(keys), recovered)
    return len(keys)
