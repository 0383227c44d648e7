"""Keeps the reports' daily aggregates (:mod:`zns_notify.models.reports`) up to date.

Why a rollup and not counters written at each status change: the shop's order save and the
worker's and webhooks' updates stay exactly as they are (bench/hot_path.py, bench/webhooks.py
measure them), and the figures are recomputed from the log itself, so they cannot drift.
A day is recomputed while it may still change:

- today, and every day since the last refresh (messages written since);
- the days the last computation found with messages still in progress (queued, sending,
  or sent without a receipt), SMS fallback steps still to be sent (scheduled, sending) or
  one-time codes still pending, and the days that have such messages or steps now, found
  through the status indexes; both only ``REPORTS_REFRESH_DAYS`` back, which bounds the work.

Final statuses are final (a late receipt of an undelivered message goes to the timeline
only), so a day without messages in progress does not change again. Each day is one
``GROUP BY`` over its messages along the ``created_at`` index, then its rows are replaced in
one transaction, with the day's one-time codes (:mod:`zns_notify.reports.codes`) and
its messages under a ZNS Journey (:mod:`zns_notify.reports.journeys`, which prices every
message: one by one, or under its journey).
:func:`refresh_reports` runs every 5 minutes from a django-q2 schedule;
``manage.py zns_rebuild_reports [--since DATE]`` recomputes every day. A lease on the one
:class:`~zns_notify.models.ReportRefresh` row lets one run at a time do the work, whatever
the number of clusters.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Case, Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from zns_notify.conf import app_settings
from zns_notify.lib.clock import day_bounds, local_day
from zns_notify.models import (
    UNSENT_STATUSES,
    DailyCount,
    DailyFailure,
    DailyLatency,
    FallbackStep,
    Message,
    ReportDay,
    ReportRefresh,
    Template,
    ZaloAccount,
)
from zns_notify.models.messages import sent_status_condition
from zns_notify.models.reports import CHANNEL_SMS, CHANNEL_ZNS
from zns_notify.reports import codes, journeys
from zns_notify.reports.latency import LatencySeconds, bucket_of

logger = logging.getLogger(__name__)

#: Upper bounds (seconds) of the delivery-latency buckets; the last bucket is open-ended.
#: Fixed once and for all: changing them would make old days incomparable.
LATENCY_BUCKETS = (5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400)
#: Statuses of a message whose figures may still change.
OPEN_STATUSES = (*UNSENT_STATUSES, Message.Status.SENT.value)
#: Statuses counted in the failure breakdown.
FAILURE_STATUSES = (Message.Status.FAILED.value, Message.Status.UNDELIVERED.value)
#: Statuses of an SMS fallback step still to be sent: its day stays open.
OPEN_STEP_STATUSES = (FallbackStep.Status.SCHEDULED.value, FallbackStep.Status.SENDING.value)
#: A run holding the lease longer than this is taken for dead.
LEASE = dt.timedelta(minutes=30)


class RefreshRunning(Exception):
    """Another refresh holds the lease."""

    def __init__(self, since: dt.datetime):
        super().__init__(since)
        self.since = since


def latency_bucket() -> Case:
    """The bucket of a delivered message's time from the send (or, for one delivered
    without a recorded send, its creation) to the receipt; NULL for other messages."""
    latency = LatencySeconds("delivered_at", Coalesce("sent_at", "created_at"))
    delivered = Q(status=Message.Status.DELIVERED, delivered_at__isnull=False)
    return bucket_of(latency, LATENCY_BUCKETS, delivered)


# -- one day -----------------------------------------------------------------------------


def compute_day(day: dt.date, now: dt.datetime | None = None) -> ReportDay:
    """Recompute one local day's aggregates from its messages and replace the old ones."""
    now = now or timezone.now()
    start, end = day_bounds(day)
    rows = (
        Message.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(bucket=latency_bucket())
        .values(
            "zalo_template_id",
            "event",
            "status",
            "error_category",
            "error_code",
            "bucket",
            "development_mode",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[tuple, int] = defaultdict(int)
    tests: dict[tuple, int] = defaultdict(int)
    failures: dict[tuple, int] = defaultdict(int)
    latencies: dict[tuple, int] = defaultdict(int)
    open_messages = 0
    for row in rows:
        key = (row["zalo_template_id"] or "", row["event"])
        counts[(*key, row["status"])] += row["n"]
        if row["development_mode"]:
            tests[(*key, row["status"])] += row["n"]
        if row["status"] in FAILURE_STATUSES:
            reason = (row["status"], row["error_category"] or "", row["error_code"])
            failures[(*key, *reason)] += row["n"]
        if row["bucket"] is not None:
            latencies[(*key, row["bucket"])] += row["n"]
        if row["status"] in OPEN_STATUSES:
            open_messages += row["n"]
    sms_rows, open_steps = _sms_figures(start, end)
    code_rows, pending_codes = codes.day_figures(start, end, day)
    journey_figures = journeys.day_figures(start, end)

    with transaction.atomic():
        # One computation of a day at a time: two overlapping runs (one outlived its lease)
        # would each delete the rows as they were and insert their own, doubling the day.
        # The second waits here, then replaces what the first wrote.
        ReportDay.objects.get_or_create(day=day, defaults={"computed_at": now})
        ReportDay.objects.select_for_update().get(day=day)
        account_id, prices = _kept_keys(day, {key[0] for key in counts})
        message_price = journeys.kept_message_price(day)
        common = dict(day=day, channel=CHANNEL_ZNS, account_id=account_id)
        for model in (DailyCount, DailyFailure, DailyLatency):
            model.objects.filter(day=day, channel=CHANNEL_ZNS).delete()
        priced = [
            _count_row(
                common,
                key,
                n,
                tests[key],
                prices.get(key[0]),
                journeys.message_cost(
                    key, n, tests[key], prices.get(key[0]), journey_figures, message_price
                ),
            )
            for key, n in counts.items()
        ]
        DailyCount.objects.bulk_create(priced)
        DailyFailure.objects.bulk_create(
            DailyFailure(
                **common, template_id=t, event=e, status=s, category=c, error_code=code, messages=n
            )
            for (t, e, s, c, code), n in failures.items()
        )
        DailyLatency.objects.bulk_create(
            DailyLatency(**common, template_id=t, event=e, bucket=b, messages=n)
            for (t, e, b), n in latencies.items()
        )
        DailyCount.objects.filter(day=day, channel=CHANNEL_SMS).delete()
        DailyCount.objects.bulk_create(
            DailyCount(**{**common, "channel": CHANNEL_SMS}, **row) for row in sms_rows
        )
        codes.replace_day(day, code_rows, priced)
        journeys.replace_day(day, journeys.day_rows(common, journey_figures, prices, message_price))
        # A pending code keeps its day open like a message in progress: its verification
        # (or expiry) changes the day's figures, whenever it comes.
        still_open = open_messages + open_steps + pending_codes
        report, _created = ReportDay.objects.update_or_create(
            day=day, defaults={"computed_at": now, "open_messages": still_open}
        )
    return report


def _sms_figures(start: dt.datetime, end: dt.datetime) -> tuple[list[dict], int]:
    """The SMS fallback steps of the messages created in [start, end), by the message's
    template and event and the step's status: (DailyCount fields, steps still to be sent).

    A step belongs to its message's day, like every figure of that message; the query
    walks the day's messages along the created_at index and finds each one's step through
    the step's unique message_id."""
    rows = (
        FallbackStep.objects.filter(message__created_at__gte=start, message__created_at__lt=end)
        .values("message__zalo_template_id", "message__event", "status")
        .annotate(
            n=Count("pk"),
            segments=Sum("segments"),
            cost=Sum("cost"),
            double=Count("pk", filter=Q(double_cost=True)),
        )
        .order_by()
    )
    figures, still_open = [], 0
    for row in rows:
        figures.append(
            dict(
                template_id=row["message__zalo_template_id"] or "",
                event=row["message__event"],
                status=row["status"],
                messages=row["n"],
                segments=row["segments"] or 0,
                cost=row["cost"] or Decimal(0),
                double_cost=row["double"],
            )
        )
        if row["status"] in OPEN_STEP_STATUSES:
            still_open += row["n"]
    return figures, still_open


def _count_row(
    common: dict, key: tuple, n: int, tests: int, price: Decimal | None, cost: Decimal
) -> DailyCount:
    """``price`` is the template's, one by one; ``cost`` what Zalo bills for the messages
    (:func:`zns_notify.reports.journeys.message_cost`: one by one, or under a journey)."""
    template_id, event, status = key
    return DailyCount(
        **common,
        template_id=template_id,
        event=event,
        status=status,
        messages=n,
        test_messages=tests,
        unit_price=price if status == Message.Status.DELIVERED else None,
        cost=cost,
    )


def _kept_keys(day: dt.date, template_ids: set[str]) -> tuple[int | None, dict[str, Decimal]]:
    """The account and the prices the day was first computed with (a recompute keeps them:
    a price Zalo changes later does not rewrite the past); the current ones otherwise."""
    before = DailyCount.objects.filter(day=day, channel=CHANNEL_ZNS)
    account_id = before.exclude(account_id=None).values_list("account_id", flat=True).first()
    if account_id is None:
        account = ZaloAccount.objects.current()
        account_id = account.pk if account else None
    prices = dict(
        Template.objects.filter(template_id__in=template_ids, price__isnull=False).values_list(
            "template_id", "price"
        )
    )
    prices.update(
        before.filter(status=Message.Status.DELIVERED, unit_price__isnull=False).values_list(
            "template_id", "unit_price"
        )
    )
    return account_id, prices


# -- which days --------------------------------------------------------------------------


def open_days_in_log(since: dt.date) -> set[dt.date]:
    """Local days from ``since`` with messages in progress now, read from the indexes: the
    sent ones by skipping along the partial ``(status, created_at)`` index one day at a
    time, the queued and sending ones (the backlog) through the due index."""
    days: set[dt.date] = set()
    day = since
    while True:
        first = (
            Message.objects.filter(
                sent_status_condition(),
                status=Message.Status.SENT,
                created_at__gte=day_bounds(day)[0],
            )
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if first is None:
            break
        found = local_day(first)
        days.add(found)
        day = found + dt.timedelta(days=1)
    start = day_bounds(since)[0]
    # SMS fallback steps still to be sent (the step table's status index): their message's
    # day changes when they are sent.
    pending = (
        FallbackStep.objects.filter(status__in=OPEN_STEP_STATUSES)
        .order_by()
        .values_list("message__created_at", flat=True)
    )
    days.update(local_day(created) for created in pending.iterator() if created >= start)
    for status in UNSENT_STATUSES:
        backlog = (
            Message.objects.filter(status=status).order_by().values_list("created_at", flat=True)
        )
        days.update(local_day(created) for created in backlog.iterator() if created >= start)
    return days


def days_to_refresh(now: dt.datetime, last: dt.datetime | None) -> list[dt.date]:
    """Every day since the last refresh, however long ago (the worker may have been stopped
    for longer than the window: those days would otherwise never be computed), or the
    window's days on a first run; plus the window's days with messages in progress."""
    today = local_day(now)
    oldest = today - dt.timedelta(days=app_settings.REPORTS_REFRESH_DAYS)
    since = min(local_day(last), today) if last else oldest
    days = {since + dt.timedelta(days=n) for n in range((today - since).days + 1)}
    days.update(
        ReportDay.objects.filter(day__gte=oldest, day__lt=since, open_messages__gt=0).values_list(
            "day", flat=True
        )
    )
    days.update(day for day in open_days_in_log(oldest) if day <= today)
    return sorted(days)


# -- runs --------------------------------------------------------------------------------


def _take_lease(now: dt.datetime) -> str:
    owner = uuid.uuid4().hex
    try:
        with transaction.atomic():
            ReportRefresh.objects.get_or_create(pk=1)
    except IntegrityError:  # created by a concurrent run meanwhile
        pass
    free = Q(running_since__isnull=True) | Q(running_since__lt=now - LEASE)
    if not ReportRefresh.objects.filter(free, pk=1).update(running_since=now, run_owner=owner):
        since = ReportRefresh.objects.values_list("running_since", flat=True).get(pk=1)
        raise RefreshRunning(since)
    return owner


def _end_lease(owner: str, finished: dt.datetime | None) -> None:
    values = {"running_since": None, "run_owner": ""}
    if finished is not None:
        values["refreshed_at"] = finished
    ReportRefresh.objects.filter(pk=1, run_owner=owner).update(**values)


def last_refreshed() -> dt.datetime | None:
    return ReportRefresh.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()


def _run(days_for, now: dt.datetime | None) -> list[dt.date]:
    now = now or timezone.now()
    owner = _take_lease(now)
    finished = None
    try:
        days = days_for(now)
        for day in days:
            compute_day(day, now)
        finished = now
    finally:
        _end_lease(owner, finished)
    return days


def refresh_reports(now: dt.datetime | None = None) -> int:
    """django-q2 task (every 5 minutes): recompute the days that may have changed since the
    last refresh; returns how many. Another run in progress: does nothing, returns 0."""
    try:
        days = _run(lambda at: days_to_refresh(at, last_refreshed()), now)
    except RefreshRunning as running:
        logger.info("zns reports refresh skipped: another one runs since %s", running.since)
        return 0
    logger.info("zns reports refreshed: %d day(s)", len(days))
    return len(days)


def rebuild_reports(since: dt.date | None = None, now: dt.datetime | None = None) -> list[dt.date]:
    """Recompute every day from ``since`` (default: the first message's day) to today.
    Raises :class:`RefreshRunning` when another run holds the lease."""

    def every_day(at: dt.datetime) -> list[dt.date]:
        today = local_day(at)
        first = since
        if first is None:
            oldest = (
                Message.objects.order_by("created_at").values_list("created_at", flat=True).first()
            )
            first = local_day(oldest) if oldest else today
        return [first + dt.timedelta(days=n) for n in range((today - first).days + 1)]

    return _run(every_day, now)
