"""django-q2 entry points. They take keys, never model instances, and never raise for
provider errors (django-q2 would re-run a raising task forever on the ORM broker)."""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.db import router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import batch, signals
from .conf import app_settings
from .models import Message, MessageEvent
from .outbox import push_send_task
from .relay import OLDEST_DUE_FIRST, relay_active

logger = logging.getLogger(__name__)

#: A message queued this long ago without being claimed has lost its queue task.
LOST_TASK_AFTER = dt.timedelta(minutes=2)
#: A message still "sending" after this long belongs to a worker that died.
SENDING_LEASE = dt.timedelta(minutes=5)
SWEEP_BATCH = 200
#: Share of django-q2's task timeout one task may spend claiming new messages; a send in
#: flight when the task is killed would stay "sending" until the lease runs out.
TIME_BUDGET_SHARE = 0.5


def _time_budget() -> float:
    from django_q.conf import Conf

    return max(float(Conf.TIMEOUT or 60) * TIME_BUDGET_SHARE, 1.0)


def send_messages(keys: list[str]) -> int:
    """Send the due messages among ``keys``, concurrently; return how many this call settled.

    Keeps up to ``SEND_CONCURRENCY`` requests in flight: claims messages as requests
    finish, gates each, sends them from the thread pool and records their outcomes as
    they arrive (see :mod:`zns_notify.batch`). A task given fewer than
    ``SEND_BATCH`` keys takes other due messages too (``SEND_TOP_UP``). Stops claiming when
    half of django-q2's task timeout is spent and queues the rest as a new task, so a slow
    Zalo never gets a task killed in the middle of a send.
    """
    keys = list(keys)
    if batch.postpone_all(keys):
        return 0
    top_up = max(app_settings.SEND_BATCH - len(keys), 0) if app_settings.SEND_TOP_UP else 0
    return batch.send_keys(keys, top_up=top_up, deadline=time.monotonic() + _time_budget(),
                           overtime=push_send_task)


def sweep() -> int:
    """Re-enqueue due retries and messages whose task was lost; recover dead workers' rows.
    With the outbox broker only the last: its poll hands out due and lost messages itself.

    Scheduled every minute (see :func:`zns_notify.schedules.ensure_schedules`).
    """
    now = timezone.now()
    recovered = _recover_stale_sends(now)
    if relay_active(router.db_for_write(Message)):
        # The outbox broker hands out due and unclaimed rows on every poll.
        if recovered:
            logger.info("zns sweep: %s recovered from dead workers", recovered)
        return 0
    lost = dict(next_attempt_at__isnull=True, created_at__lt=now - LOST_TASK_AFTER)
    queued = Message.objects.filter(status=Message.Status.QUEUED)
    # Two queries rather than one OR, each read in the order of the (status,
    # next_attempt_at, id) index (databases disagree on where NULLs sort).
    keys = list(queued.filter(next_attempt_at__lte=now).order_by(*OLDEST_DUE_FIRST)
                .values_list("idempotency_key", flat=True)[:SWEEP_BATCH])
    keys += list(queued.filter(**lost).order_by(*OLDEST_DUE_FIRST)
                 .values_list("idempotency_key", flat=True)[: SWEEP_BATCH - len(keys)])
    per_task = app_settings.SEND_BATCH  # each task sends its keys concurrently
    for start in range(0, len(keys), per_task):
        push_send_task(keys[start : start + per_task])
    if keys or recovered:
        logger.info("zns sweep: %s re-enqueued, %s recovered from dead workers", len(keys), recovered)
    return len(keys)


def refresh_token() -> bool:
    """Rotate the OA token pair when its access token expires within a few hours, so sends
    never wait for a refresh. Scheduled every 15 minutes; single-flight with every other
    refresh (see :mod:`zns_notify.tokens`). Never raises for Zalo's answers."""
    from .exceptions import ZnsConfigurationError
    from .tokens import refresh_if_expiring
    from .zalo.client import ZaloAPIError

    try:
        return refresh_if_expiring()
    except (ZaloAPIError, ZnsConfigurationError) as exc:
        logger.warning("zns token refresh failed: %s", exc)
        return False


def _recover_stale_sends(now: dt.datetime) -> int:
    """Rows left in "sending" by a worker that died. The send may or may not have reached
    Zalo; the timeline says so. A row that keeps killing its worker eventually fails."""
    recovered = 0
    stale = Message.objects.filter(status=Message.Status.SENDING, claimed_at__lt=now - SENDING_LEASE)
    for message in stale.only("pk", "attempts")[:SWEEP_BATCH]:
        give_up = message.attempts >= app_settings.MAX_ATTEMPTS
        status = Message.Status.FAILED if give_up else Message.Status.QUEUED
        with transaction.atomic():
            moved = Message.objects.filter(
                pk=message.pk, status=Message.Status.SENDING, attempts=message.attempts
            ).update(
                status=status, next_attempt_at=None if give_up else now,
                error_category="retry", error_message=stale_reason(),
            )
            if moved:
                MessageEvent.objects.create(
                    message_id=message.pk, kind=MessageEvent.Kind.NOTE, at=now, status=status,
                    detail=stale_reason(),
                )
                recovered += 1
                if give_up:  # a failure like any other: hosts (an SMS fallback) hear of it
                    signals.announce_on_commit(
                        signals.message_failed, message=Message.objects.get(pk=message.pk),
                        error_code=None, category="retry", reason=stale_reason(),
                    )
    return recovered


def stale_reason() -> str:
    return _(
        "The worker sending this message stopped without recording an answer; Zalo may or "
        "may not have received it."
    )
