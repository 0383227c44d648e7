"""django-q2 entry points. They take keys, never model instances, and never raise for
provider errors (django-q2 would re-run a raising task forever on the ORM broker)."""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.db import router
from django.utils import timezone

from . import ambiguity, batch, fallback_sending
from .conf import app_settings
from .models import Message
from .outbox import push_send_task
from .relay import OLDEST_DUE_FIRST, relay_active

logger = logging.getLogger(__name__)

# Up to this many due or lost messages re-enqueued per run (each run is a minute apart):
# a backlog of retries after an outage must not drain at a trickle.
SWEEP_BATCH = 1000
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
    return batch.send_keys(
        keys, top_up=top_up, deadline=time.monotonic() + _time_budget(), overtime=push_send_task
    )


def sweep() -> int:
    """Re-enqueue due retries and messages whose task was lost; recover dead workers' rows.
    With the outbox broker only the last: its poll hands out due and lost messages itself.
    Then the same for the SMS fallback's steps (:func:`zns_notify.fallback_sending.sweep`).

    Scheduled every minute (see :func:`zns_notify.schedules.ensure_schedules`).
    """
    now = timezone.now()
    recovered = _recover_stale_sends(now)
    # The SMS fallback's steps, whatever the broker: no poll hands them out. Its failure
    # (a broken SMS setting, a host's provider class) must not stop the messages' sweep.
    try:
        fallback_sending.sweep(now)
    except Exception:
        logger.exception("zns sweep: the SMS fallback's sweep failed")
    if relay_active(router.db_for_write(Message)):
        # The outbox broker hands out due and unclaimed rows on every poll.
        if recovered:
            logger.info("zns sweep: %s recovered from dead workers", recovered)
        return 0
    lost_after = dt.timedelta(seconds=app_settings.LOST_TASK_AFTER)
    lost = dict(next_attempt_at__isnull=True, created_at__lt=now - lost_after)
    queued = Message.objects.filter(status=Message.Status.QUEUED)
    # Two queries rather than one OR, each read in the order of the (status,
    # next_attempt_at, id) index (databases disagree on where NULLs sort).
    keys = list(
        queued.filter(next_attempt_at__lte=now)
        .order_by(*OLDEST_DUE_FIRST)
        .values_list("idempotency_key", flat=True)[:SWEEP_BATCH]
    )
    keys += list(
        queued.filter(**lost)
        .order_by(*OLDEST_DUE_FIRST)
        .values_list("idempotency_key", flat=True)[: SWEEP_BATCH - len(keys)]
    )
    per_task = app_settings.SEND_BATCH  # each task sends its keys concurrently
    for start in range(0, len(keys), per_task):
        push_send_task(keys[start : start + per_task])
    if keys or recovered:
        logger.info(
            "zns sweep: %s re-enqueued, %s recovered from dead workers", len(keys), recovered
        )
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
    return sum(
        ambiguity.recover(message, now) for message in stale.only("pk", "attempts")[:SWEEP_BATCH]
    )
