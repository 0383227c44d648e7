"""What the quota page shows about one OA: today's ledger row, when the quota runs out at
the current rate, and the last 30 days of the ledger (:class:`~zns_notify.models.ZaloQuota`).

The rate is the messages of the last hour that use the quota (written in the last hour,
not in development mode, and sent or still to be sent), read along the ``created_at``
index: an hour holds hundreds of rows, not the table. An hour without any falls back to
the day's average, the used quota over the hours since local midnight.

Beside the OA's quota, the page shows what the per-recipient cap withheld today
(:func:`cap_refusals`): the cap is the shop's own limit, and the first place an operator
looks when customers say a message never came.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Sum
from django.utils import timezone

from zns_notify.lib.clock import day_bounds, local_day
from zns_notify.models import Message, RecipientDailyCount, ZaloAccount, ZaloQuota

HISTORY_DAYS = 30
RATE_WINDOW = dt.timedelta(hours=1)
#: Statuses of messages that used, or will use, the OA's quota.
USES_QUOTA = ("queued", "sending", "sent", "delivered", "undelivered")


@dataclass
class Forecast:
    #: "unknown" (no ledger reading today), "unlimited" (Zalo sets no daily limit),
    #: "used_up", "not_today" or "today".
    outcome: str
    per_hour: float | None = None
    #: "last_hour" or "since_midnight": where the rate comes from.
    basis: str | None = None
    runs_out_at: dt.datetime | None = None


@dataclass
class Overview:
    account: ZaloAccount
    today: ZaloQuota | None
    forecast: Forecast
    history: list[tuple[dt.date, ZaloQuota | None]]


def last_hour_sends(now: dt.datetime) -> int:
    return (
        Message.objects.filter(
            created_at__gte=now - RATE_WINDOW,
            created_at__lte=now,
            development_mode=False,
            status__in=USES_QUOTA,
        )
        .order_by()
        .count()
    )


def forecast(row: ZaloQuota | None, now: dt.datetime) -> Forecast:
    if row is not None and row.unlimited:
        return Forecast("unlimited")
    if row is None or row.remaining_quota is None:
        return Forecast("unknown")
    if row.remaining_quota == 0:
        return Forecast("used_up")
    midnight, next_midnight = day_bounds(local_day(now))
    recent = last_hour_sends(now)
    if recent:
        per_hour, basis = float(recent) / (RATE_WINDOW.total_seconds() / 3600), "last_hour"
    else:
        hours = (now - midnight).total_seconds() / 3600
        used = row.used or 0
        per_hour, basis = (used / hours if hours > 0 else 0.0), "since_midnight"
    if per_hour <= 0:
        return Forecast("not_today", per_hour, basis)
    runs_out_at = now + dt.timedelta(hours=row.remaining_quota / per_hour)
    if runs_out_at >= next_midnight:
        return Forecast("not_today", per_hour, basis)
    return Forecast("today", per_hour, basis, runs_out_at)


def overview(account: ZaloAccount, now: dt.datetime | None = None) -> Overview:
    now = now or timezone.now()
    today = local_day(now)
    first = today - dt.timedelta(days=HISTORY_DAYS - 1)
    rows = {
        row.day: row
        for row in ZaloQuota.objects.filter(account=account, day__gte=first, day__lte=today)
    }
    history = [
        (day, rows.get(day)) for day in (first + dt.timedelta(days=n) for n in range(HISTORY_DAYS))
    ]
    return Overview(account, rows.get(today), forecast(rows.get(today), now), history)


@dataclass
class CapRefusals:
    """Messages of one tag the recipient cap refused on one day, and to how many phones."""

    tag: str
    messages: int
    recipients: int


#: The order the tags are listed in: order notices first, they matter most.
TAG_ORDER = ("TRANSACTION", "CUSTOMER_CARE", "PROMOTION")


def cap_refusals(now: dt.datetime | None = None) -> list[CapRefusals]:
    """Today's (local day) refusals of the recipient cap by tag, TRANSACTION first; read
    along the partial index of refused counts, so the recipients the cap let through cost
    nothing."""
    rows = (
        RecipientDailyCount.objects.filter(day=local_day(now), refused__gt=0)
        .values("tag")
        .annotate(messages=Sum("refused"), recipients=Count("id"))
        .order_by()
    )
    found = [CapRefusals(row["tag"], row["messages"], row["recipients"]) for row in rows]
    rank = {tag: n for n, tag in enumerate(TAG_ORDER)}
    return sorted(found, key=lambda row: (rank.get(row.tag, len(rank)), row.tag))
