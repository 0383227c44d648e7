"""django-q2 entry points: every task and schedule zns_notify queues, by the dotted path
django-q2 stores (``zns_notify.tasks.<name>``). They take keys, never model instances, and
never raise for provider errors (django-q2 would re-run a raising task forever on the ORM
broker). The scheduled ones that belong to a domain are that domain's functions, named here
so the stored paths do not follow the code around (migration 0020 moved the old ones).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.db import router
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Schedule

from zns_notify.account.quality import refresh_quality
from zns_notify.account.quota import refresh_quota
from zns_notify.account.refusals import recover
from zns_notify.account.tokens import refresh_if_expiring
from zns_notify.conf import app_settings
from zns_notify.events.outbox import push_send_task
from zns_notify.events.relay import OLDEST_DUE_FIRST, relay_active
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.fallback import sending as fallback_sending
from zns_notify.models import Message
from zns_notify.otp import clearing as otp_clearing
from zns_notify.otp.pruning import prune as prune_otp
from zns_notify.policy.rules import prune_counts as prune_recipient_counts
from zns_notify.receipts.reconcile import reconcile
from zns_notify.reports.rollup import refresh_reports
from zns_notify.sending import lease
from zns_notify.sending.claim import postpone_all
from zns_notify.sending.send import send_keys
from zns_notify.zalo.client import ZaloAPIError

__all__ = [
    "SCHEDULES",
    "ensure_schedules",
    "prune_otp",
    "prune_recipient_counts",
    "reconcile",
    "refresh_quality",
    "refresh_quota",
    "refresh_reports",
    "refresh_token",
    "send_fallbacks",
    "send_messages",
    "sweep",
]

logger = logging.getLogger(__name__)

# Up to this many due or lost messages re-enqueued per run (each run is a minute apart):
# a backlog of retries after an outage must not drain at a trickle.
SWEEP_BATCH = 1000
#: Share of django-q2's task timeout one task may spend claiming new messages; a send in
#: flight when the task is killed would stay "sending" until the lease runs out.
TIME_BUDGET_SHARE = 0.5


def _time_budget() -> float:
    return max(float(Conf.TIMEOUT or 60) * TIME_BUDGET_SHARE, 1.0)


def send_messages(keys: list[str]) -> int:
    """Send the due messages among ``keys``, concurrently; return how many this call settled.

    Keeps up to ``SEND_CONCURRENCY`` requests in flight: claims messages as requests
    finish, gates each, sends them from the thread pool and records their outcomes as
    they arrive (see :mod:`zns_notify.sending.send`). A task given fewer than
    ``SEND_BATCH`` keys takes other due messages too (``SEND_TOP_UP``). Stops claiming when
    half of django-q2's task timeout is spent and queues the rest as a new task, so a slow
    Zalo never gets a task killed in the middle of a send.
    """
    keys = list(keys)
    if postpone_all(keys):
        return 0
    top_up = max(app_settings.SEND_BATCH - len(keys), 0) if app_settings.SEND_TOP_UP else 0
    return send_keys(
        keys, top_up=top_up, deadline=time.monotonic() + _time_budget(), overtime=push_send_task
    )


def sweep() -> int:
    """Re-enqueue due retries and messages whose task was lost; recover dead workers' rows.
    With the outbox broker only the last: its poll hands out due and lost messages itself.
    Then the same for the SMS fallback's steps (:func:`zns_notify.fallback.sending.sweep`),
    and the one-time codes no longer live are cleared from their messages
    (:func:`zns_notify.otp.clearing.clear_due`).

    Scheduled every minute (see :func:`ensure_schedules`).
    """
    now = timezone.now()
    # Rows queued again are due now: the re-enqueue below (or the outbox's poll) sends them.
    recovered = lease.recover_expired(now)
    # The SMS fallback's steps, whatever the broker: no poll hands them out. Its failure
    # (a broken SMS setting, a host's provider class) must not stop the messages' sweep.
    try:
        fallback_sending.sweep(now)
    except Exception:
        logger.exception("zns sweep: the SMS fallback's sweep failed")
    # One-time codes that ran out or whose message is now done: out of their messages.
    try:
        otp_clearing.clear_due(now)
    except Exception:
        logger.exception("zns sweep: clearing the one-time codes failed")
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
    never wait for a refresh; when the OA waits because Zalo refused new tokens, try a new
    one (:func:`zns_notify.account.refusals.recover`). Scheduled every 15 minutes;
    single-flight with every other refresh (see :mod:`zns_notify.account.tokens`). Never
    raises for Zalo's answers."""
    try:
        return recover() or refresh_if_expiring()
    except (ZaloAPIError, ZnsConfigurationError) as exc:
        logger.warning("zns token refresh failed: %s", exc)
        return False


def send_fallbacks(references: list[str]) -> int:
    """Send the due SMS fallback steps among ``references``; return how many outcomes were
    ours (queued by :func:`zns_notify.fallback.steps.push_fallback_task`)."""
    return sum(fallback_sending.send(reference) is not None for reference in references)


#: (name, function, every N minutes). Created once; an admin's edits are never undone.
SCHEDULES = (
    # Refresh the access token well before it expires (zns_notify.account.tokens).
    ("zns_notify.refresh_token", "zns_notify.tasks.refresh_token", 15),
    # Due retries, lost tasks, dead workers' rows.
    ("zns_notify.sweep", "zns_notify.tasks.sweep", 1),
    # The OA's quota ledger, from GET /message/quota (sends keep it current in between).
    ("zns_notify.refresh_quota", "zns_notify.tasks.refresh_quota", 30),
    # The OA's sending quality, from GET /quality (zns_notify.account.quality): Zalo rates
    # 48 hours and 7 days, so hourly is early enough for the quota page's warning.
    ("zns_notify.refresh_quality", "zns_notify.tasks.refresh_quality", 60),
    # Sent messages without a receipt: ask GET /message/status (zns_notify.receipts.reconcile).
    ("zns_notify.reconcile", "zns_notify.tasks.reconcile", 5),
    # The recipient cap's past days (zns_notify.policy): only today's counts matter.
    ("zns_notify.prune_recipient_counts", "zns_notify.tasks.prune_recipient_counts", 24 * 60),
    # One-time codes' rows older than OTP_KEEP_DAYS (zns_notify.otp.pruning).
    ("zns_notify.prune_otp", "zns_notify.tasks.prune_otp", 24 * 60),
    # The reports' daily aggregates: today and the days still in progress (a lease lets one
    # run at a time work, however many clusters pick the schedule up).
    ("zns_notify.refresh_reports", "zns_notify.tasks.refresh_reports", 5),
)


def ensure_schedules(**kwargs: Any) -> None:
    """post_migrate receiver: create each schedule once; never touch an edited one."""
    for name, func, minutes in SCHEDULES:
        Schedule.objects.get_or_create(
            name=name,
            defaults={
                "func": func,
                "schedule_type": Schedule.MINUTES,
                "minutes": minutes,
                "repeats": -1,
            },
        )
