"""One-time codes in the reports (issue 17; docs/operators/reports.md "One-time codes").

Per local day and purpose, :class:`~zns_notify.models.DailyOtp` keeps the codes requested,
delivered by Zalo, sent by SMS and verified, the SMS's segments and cost, and the codes'
times from the request to Zalo's acceptance of their message in fixed buckets.
:mod:`~zns_notify.reports.rollup` calls :func:`day_figures` and :func:`replace_day` when
it recomputes a day; :func:`codes_report` reads a period back for the page and the API.

A code belongs to the day it was requested, like a message to the day it was created. Its
ZNS cost is not priced here: the code's message is priced with every other message in
``DailyCount`` (event ``otp:<purpose>``), and :func:`replace_day` copies that cost.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from zns_notify.models import (
    DailyCount,
    DailyOtp,
    FallbackStep,
    Message,
    OtpChallenge,
    otp_event,
)
from zns_notify.models.otp import OTP_EVENT_PREFIX
from zns_notify.models.reports import CHANNEL_ZNS
from zns_notify.reports.latency import LatencySeconds, bucket_of, percentile

#: Upper bounds (seconds) of the request → on-the-wire buckets of codes; the last bucket is
#: open-ended. Finer than the delivery latency's: the promise is 1 s at the 95th percentile.
#: Fixed once and for all: changing them would make old days incomparable.
WIRE_BUCKETS = (0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 30, 60, 300)

_SMS_SENT = Q(message__fallback_step__status=FallbackStep.Status.SENT)


# -- one day (the rollup) --------------------------------------------------------------


def day_figures(start: dt.datetime, end: dt.datetime, day: dt.date) -> tuple[list[DailyOtp], int]:
    """The unsaved rows of the codes requested in [start, end), one per purpose, and how
    many of them are still pending (their day stays open until none is: a code verified
    after midnight changes its day's figures).

    One ``GROUP BY`` over the day's requests (the ``created_at`` index), their message and
    its SMS step, by purpose and time bucket."""
    wire = LatencySeconds("message__sent_at", "created_at")
    rows = (
        OtpChallenge.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(bucket=bucket_of(wire, WIRE_BUCKETS, Q(message__sent_at__isnull=False)))
        .values("purpose", "bucket")
        .annotate(
            requested=Count("pk"),
            verified=Count("pk", filter=Q(status=OtpChallenge.Status.VERIFIED)),
            pending=Count("pk", filter=Q(status=OtpChallenge.Status.PENDING)),
            delivered=Count("pk", filter=Q(message__status=Message.Status.DELIVERED)),
            sms_sent=Count("pk", filter=_SMS_SENT),
            segments=Sum("message__fallback_step__segments", filter=_SMS_SENT),
            cost=Sum("message__fallback_step__cost", filter=_SMS_SENT),
        )
        .order_by()
    )
    found: dict[str, DailyOtp] = {}
    pending = 0
    for row in rows:
        figures = found.get(row["purpose"])
        if figures is None:
            figures = found[row["purpose"]] = DailyOtp(
                day=day, purpose=row["purpose"], wire_buckets=_empty()
            )
        figures.requested += row["requested"]
        figures.verified += row["verified"]
        figures.zns_delivered += row["delivered"]
        figures.sms_sent += row["sms_sent"]
        figures.sms_segments += row["segments"] or 0
        figures.sms_cost += row["cost"] or Decimal(0)
        if row["bucket"] is not None:
            figures.wire_buckets[row["bucket"]] += row["requested"]
        pending += row["pending"]
    return list(found.values()), pending


def replace_day(day: dt.date, rows: list[DailyOtp], priced: list[DailyCount]) -> None:
    """Store a day's recomputed rows with their ZNS cost, read from the day's message
    counts just ``priced`` (one pricing of messages), in the caller's transaction (which
    holds the day's lock); except where the requests table has lost some of the day's
    requests.

    A past day's requests only ever disappear, deleted by a clean-up of old requests: none
    is added to a past day, and none is deleted otherwise. So a purpose whose recompute
    finds fewer requests than stored keeps its stored row, and ``zns_rebuild_reports``
    after a clean-up leaves the cleaned days' codes as they were."""
    fresh = {otp_event(row.purpose): row for row in rows}
    for count in priced:
        if count.channel != CHANNEL_ZNS or not count.event.startswith(OTP_EVENT_PREFIX):
            continue
        row = fresh.get(count.event)
        if row is None:  # a message created just after midnight for a code asked before it
            purpose = count.event[len(OTP_EVENT_PREFIX) :]
            row = fresh[count.event] = DailyOtp(day=day, purpose=purpose, wire_buckets=_empty())
        row.zns_cost += count.cost
    requested = {row.purpose: row.requested for row in fresh.values()}
    stored = DailyOtp.objects.filter(day=day).values_list("purpose", "requested")
    kept = [purpose for purpose, n in stored if n > requested.get(purpose, 0)]
    DailyOtp.objects.filter(day=day).exclude(purpose__in=kept).delete()
    DailyOtp.objects.bulk_create(row for row in fresh.values() if row.purpose not in kept)


def _empty() -> list[int]:
    return [0] * (len(WIRE_BUCKETS) + 1)


# -- a period (the page and the API) ---------------------------------------------------


@dataclass
class Codes:
    """The codes of a period, of one purpose or all: the aggregates' sums and the rates
    and percentiles read from them."""

    requested: int = 0
    zns_delivered: int = 0
    sms_sent: int = 0
    verified: int = 0
    sms_segments: int = 0
    sms_cost: Decimal = field(default_factory=Decimal)
    #: What Zalo bills for the codes' delivered messages (``DailyCount``).
    zns_cost: Decimal = field(default_factory=Decimal)
    wire_buckets: list[int] = field(default_factory=_empty)

    def add(self, other: Codes) -> None:
        self.requested += other.requested
        self.zns_delivered += other.zns_delivered
        self.sms_sent += other.sms_sent
        self.verified += other.verified
        self.sms_segments += other.sms_segments
        self.sms_cost += other.sms_cost
        self.zns_cost += other.zns_cost
        for index, n in enumerate(other.wire_buckets[: len(self.wire_buckets)]):
            self.wire_buckets[index] += n

    @classmethod
    def of(cls, row: DailyOtp) -> Codes:
        codes = cls(
            requested=row.requested,
            zns_delivered=row.zns_delivered,
            sms_sent=row.sms_sent,
            verified=row.verified,
            sms_segments=row.sms_segments,
            sms_cost=row.sms_cost,
            zns_cost=row.zns_cost,
        )
        codes.add(cls(wire_buckets=list(row.wire_buckets or [])))
        return codes

    @property
    def conversion(self) -> float | None:
        """Codes verified out of codes requested (sent → verified)."""
        return self.verified / self.requested if self.requested else None

    @property
    def sms_share(self) -> float | None:
        """Codes sent by SMS out of codes requested."""
        return self.sms_sent / self.requested if self.requested else None

    @property
    def on_wire(self) -> int:
        """Codes whose message Zalo accepted: those the wire percentiles are read from."""
        return sum(self.wire_buckets)

    @property
    def wire_p50(self) -> float | None:
        return percentile(self.wire_buckets, WIRE_BUCKETS, 0.5)

    @property
    def wire_p95(self) -> float | None:
        return percentile(self.wire_buckets, WIRE_BUCKETS, 0.95)

    @property
    def total_cost(self) -> Decimal:
        return self.zns_cost + self.sms_cost


@dataclass
class CodesReport:
    """A period's codes: by purpose (largest first), by day and purpose, and in all."""

    purposes: list[tuple[str, Codes]]
    days: list[tuple[dt.date, str, Codes]]
    totals: Codes


def codes_report(start: dt.date, end: dt.date) -> CodesReport:
    """The codes requested from ``start`` to ``end`` (both included), from the aggregates
    only: one query whatever the range."""
    rows = DailyOtp.objects.filter(day__gte=start, day__lte=end).order_by("day", "purpose")
    days = [(row.day, row.purpose, Codes.of(row)) for row in rows]
    purposes: dict[str, Codes] = defaultdict(Codes)
    totals = Codes()
    for _day, purpose, codes in days:
        purposes[purpose].add(codes)
        totals.add(codes)
    return CodesReport(
        purposes=sorted(purposes.items(), key=lambda item: (-item[1].requested, item[0])),
        days=days,
        totals=totals,
    )
