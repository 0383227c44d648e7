"""django-q2 entry points. They take keys, never model instances, and never raise for
provider errors (django-q2 would re-run a raising task forever on the ORM broker)."""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.db import router
from django.utils import timezone

from . import ambiguity
from .conf import app_settings
from .models import Message
from .outbox import push_send_task
from .relay import relay_active
from .sending import deliver
from .zalo.client import ZaloClient

logger = logging.getLogger(__name__)

# Up to this many due or lost messages re-enqueued per run (each run is a minute apart):
# a backlog of retries after an outage must not drain at a trickle.
SWEEP_BATCH = 1000
SWEEP_KEYS_PER_TASK = 10
#: Share of django-q2's task timeout one task may spend claiming new messages; a send in
#: flight when the task is killed would stay "sending" until the lease runs out.
TIME_BUDGET_SHARE = 0.5


def _time_budget() -> float:
    from django_q.conf import Conf

    return max(float(Conf.TIMEOUT or 60) * TIME_BUDGET_SHARE, 1.0)


def send_messages(keys: list[str]) -> int:
    """Send each due message; return how many this call settled.

    Stops claiming when half of django-q2's task timeout is spent and queues the rest as
    a new task, so a slow Zalo never gets a task killed in the middle of a send.
    """
    client = ZaloClient.from_settings()
    deadline = time.monotonic() + _time_budget()
    settled = 0
    for index, key in enumerate(keys):
        if index and time.monotonic() > deadline:
            push_send_task(keys[index:])
            break
        settled += deliver(key, client) is not None
    return settled


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
    lost_after = dt.timedelta(seconds=app_settings.LOST_TASK_AFTER)
    lost = dict(next_attempt_at__isnull=True, created_at__lt=now - lost_after)
    queued = Message.objects.filter(status=Message.Status.QUEUED)
    # Two queries rather than one OR, each served by an index, and ordered by pk so that
    # neither kind can starve the other (databases disagree on where NULLs sort).
    keys = list(queued.filter(next_attempt_at__lte=now).order_by("pk")
                .values_list("idempotency_key", flat=True)[:SWEEP_BATCH])
    keys += list(queued.filter(**lost).order_by("pk")
                 .values_list("idempotency_key", flat=True)[: SWEEP_BATCH - len(keys)])
    for start in range(0, len(keys), SWEEP_KEYS_PER_TASK):
        push_send_task(keys[start : start + SWEEP_KEYS_PER_TASK])
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
    """Rows left in "sending" past ``SEND_LEASE`` by a worker that died. The send may or
    may not have reached Zalo: ``AMBIGUOUS_SENDS`` decides (zns_notify.ambiguity)."""
    lease = dt.timedelta(seconds=app_settings.SEND_LEASE)
    stale = Message.objects.filter(status=Message.Status.SENDING, claimed_at__lt=now - lease)
    return sum(ambiguity.recover(message, now)
               for message in stale.only("pk", "attempts")[:SWEEP_BATCH])

