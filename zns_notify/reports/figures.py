"""The reports page's figures, read from the daily aggregates only (never the message table):
the filter form, and :func:`build_report` for a date range and optional template/event.

The message figures are the order messages': a one-time code's message (event
``otp:<purpose>``) is counted under the report's codes (:mod:`zns_notify.reports.codes`),
which follow the range only, so that a burst of sign-ups neither fills the top templates
nor moves the order notices' delivery rate, failures and costs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from zns_notify.conf import app_settings
from zns_notify.display import formats
from zns_notify.display.labels import event_choices
from zns_notify.lib.clock import local_day
from zns_notify.models import DailyCount, DailyFailure, DailyLatency, Message, ReportDay, Template
from zns_notify.models.otp import OTP_EVENT_PREFIX
from zns_notify.models.reports import CHANNEL_SMS, CHANNEL_ZNS
from zns_notify.reports.codes import Codes, CodesReport, codes_report
from zns_notify.reports.journeys import Journeys, JourneysReport, journeys_report
from zns_notify.reports.latency import percentile
from zns_notify.reports.rollup import LATENCY_BUCKETS, OPEN_STATUSES, last_refreshed

#: The default range: the last 7 local days, today included.
DEFAULT_DAYS = 7
#: Templates listed under "top templates".
TOP_TEMPLATES = 10
#: Status order of the stacked bars and the table: outcomes first, then what is in progress.
STATUS_ORDER = (
    "delivered",
    "undelivered",
    "failed",
    "skipped",
    "cancelled",
    "sent",
    "sending",
    "queued",
)
#: Messages Zalo accepted: the denominator of the delivery rate.
ACCEPTED = ("sent", "delivered", "undelivered")
#: Accepted input formats of the dates (the ISO one the date inputs send, and dd/mm/yyyy).
DATE_INPUTS = ["%Y-%m-%d", "%d/%m/%Y"]
#: Dates outside these are typing mistakes (and year 1 or 9999 would overflow the range).
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2999, 12, 31)


class ReportFilterForm(forms.Form):
    start = forms.DateField(
        label=_("From"),
        required=False,
        input_formats=DATE_INPUTS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        input_formats=DATE_INPUTS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    template = forms.ChoiceField(label=_("Template"), required=False)
    event = forms.ChoiceField(label=_("Event"), required=False)

    error_messages = {
        "order": _("The end date (%(end)s) is before the start date (%(start)s)."),
        "too_long": _("The range is %(days)d days long; at most %(max)d days can be shown."),
        "bounds": _("Enter dates between %(earliest)s and %(latest)s."),
    }

    def __init__(self, data=None, *, today: dt.date):
        self.today = today
        super().__init__(data)
        self.fields["start"].error_messages["invalid"] = _(
            "Enter the start date as dd/mm/yyyy or yyyy-mm-dd."
        )
        self.fields["end"].error_messages["invalid"] = _(
            "Enter the end date as dd/mm/yyyy or yyyy-mm-dd."
        )
        self.fields["template"].error_messages["invalid_choice"] = _(
            "Unknown template: %(value)s. Choose one from the list."
        )
        self.fields["event"].error_messages["invalid_choice"] = _(
            "Unknown event: %(value)s. Choose one from the list."
        )
        # A few dozen templates at most: the template table, not the message log.
        self.fields["template"].choices = [
            ("", _("All templates")),
            *((t.template_id, str(t)) for t in Template.objects.only("template_id", "name")),
        ]
        self.fields["event"].choices = [("", _("All events")), *event_choices()]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        typed = [day for day in (data.get("start"), data.get("end")) if day]
        if any(not EARLIEST <= day <= LATEST for day in typed):
            raise forms.ValidationError(
                self.error_messages["bounds"],
                code="bounds",
                params={"earliest": formats.date(EARLIEST), "latest": formats.date(LATEST)},
            )
        end = data.get("end") or self.today
        start = data.get("start") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        if end < start:
            raise forms.ValidationError(
                self.error_messages["order"],
                code="order",
                params={"start": formats.date(start), "end": formats.date(end)},
            )
        days = (end - start).days + 1
        if days > app_settings.REPORTS_MAX_DAYS:
            raise forms.ValidationError(
                self.error_messages["too_long"],
                code="too_long",
                params={"days": days, "max": app_settings.REPORTS_MAX_DAYS},
            )
        data["start"], data["end"] = start, end
        return data


@dataclass
class Sms:
    """A period's SMS fallback figures: SMS sent, their segments and cost, and how many of
    them Zalo delivered anyway (a late receipt: both channels paid)."""

    sent: int = 0
    segments: int = 0
    cost: Decimal = field(default_factory=Decimal)
    double_cost: int = 0

    def add(self, other: Sms) -> None:
        self.sent += other.sent
        self.segments += other.segments
        self.cost += other.cost
        self.double_cost += other.double_cost


@dataclass
class Day:
    day: dt.date
    counts: dict[str, int]
    cost: Decimal  # ZNS: what Zalo bills for the delivered messages
    #: Of the day's messages, those sent in development mode: counted, not charged.
    tests: int = 0
    sms: Sms = field(default_factory=Sms)

    @property
    def total_cost(self) -> Decimal:
        return self.cost + self.sms.cost

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def accepted(self) -> int:
        return sum(self.counts.get(status, 0) for status in ACCEPTED)

    @property
    def delivered_rate(self) -> float | None:
        return self.counts.get("delivered", 0) / self.accepted if self.accepted else None

    @property
    def in_progress(self) -> int:
        return sum(self.counts.get(status, 0) for status in OPEN_STATUSES)


@dataclass
class Report:
    start: dt.date
    end: dt.date
    template: str
    event: str
    days: list[Day]
    failures: list[dict]
    templates: list[dict]
    latency: list[int]
    refreshed_at: dt.datetime | None
    computed_days: int
    codes: CodesReport = field(default_factory=lambda: CodesReport([], [], Codes()))
    journeys: JourneysReport = field(default_factory=lambda: JourneysReport([], [], [], Journeys()))
    statuses: tuple[str, ...] = STATUS_ORDER
    totals: Day = field(init=False)

    def __post_init__(self):
        counts: dict[str, int] = defaultdict(int)
        for day in self.days:
            for status, n in day.counts.items():
                counts[status] += n
        sms = Sms()
        for day in self.days:
            sms.add(day.sms)
        self.totals = Day(
            self.end,
            dict(counts),
            sum((d.cost for d in self.days), Decimal(0)),
            tests=sum(d.tests for d in self.days),
            sms=sms,
        )

    @property
    def median_latency(self) -> float | None:
        return median_from_buckets(self.latency)

    @property
    def missing_days(self) -> int:
        """Past days of the range the rollup never computed (before it was installed, say)."""
        past = sum(1 for day in self.days if day.day <= local_day())
        return max(past - self.computed_days, 0)


def median_from_buckets(counts: list[int]) -> float | None:
    """The median delivery time in seconds, read from the delivery-latency buckets."""
    return percentile(counts, LATENCY_BUCKETS, 0.5)


def build_report(start: dt.date, end: dt.date, template: str = "", event: str = "") -> Report:
    def scoped(model, channel: str = CHANNEL_ZNS):
        rows = model.objects.filter(day__gte=start, day__lte=end, channel=channel).exclude(
            event__startswith=OTP_EVENT_PREFIX
        )
        if template:
            rows = rows.filter(template_id=template)
        if event:
            rows = rows.filter(event=event)
        return rows.order_by()

    by_day: dict[dt.date, dict[str, int]] = defaultdict(dict)
    cost: dict[dt.date, Decimal] = defaultdict(Decimal)
    tests: dict[dt.date, int] = defaultdict(int)
    for row in (
        scoped(DailyCount)
        .values("day", "status")
        .annotate(n=Sum("messages"), cost=Sum("cost"), tests=Sum("test_messages"))
    ):
        by_day[row["day"]][row["status"]] = row["n"]
        cost[row["day"]] += row["cost"] or Decimal(0)
        tests[row["day"]] += row["tests"] or 0
    sms = _sms_by_day(scoped(DailyCount, CHANNEL_SMS))
    days = [
        Day(
            day,
            by_day.get(day, {}),
            cost.get(day, Decimal(0)),
            tests=tests.get(day, 0),
            sms=sms.get(day, Sms()),
        )
        for day in (start + dt.timedelta(days=n) for n in range((end - start).days + 1))
    ]

    failures = list(
        scoped(DailyFailure)
        .values("status", "category", "error_code")
        .annotate(n=Sum("messages"))
        .order_by("-n", "status", "category", "error_code")
    )
    latency = [0] * (len(LATENCY_BUCKETS) + 1)
    for row in scoped(DailyLatency).values("bucket").annotate(n=Sum("messages")):
        latency[row["bucket"]] += row["n"]
    return Report(
        start=start,
        end=end,
        template=template,
        event=event,
        days=days,
        failures=failures,
        templates=_top_templates(scoped(DailyCount), scoped(DailyCount, CHANNEL_SMS)),
        latency=latency,
        refreshed_at=last_refreshed(),
        computed_days=ReportDay.objects.filter(day__gte=start, day__lte=end).count(),
        codes=codes_report(start, end),
        journeys=journeys_report(start, end, template, event),
    )


def _sms_figures(rows, key: str) -> dict:
    """SMS figures by ``key`` ("day" or "template_id") from the SMS rows: only the SMS
    that went out (status "sent") count as sent and carry a cost."""
    found: dict = defaultdict(Sms)
    for row in (
        rows.filter(status="sent")
        .values(key)
        .annotate(
            n=Sum("messages"), segments=Sum("segments"), cost=Sum("cost"), double=Sum("double_cost")
        )
    ):
        found[row[key]].add(
            Sms(
                sent=row["n"] or 0,
                segments=row["segments"] or 0,
                cost=row["cost"] or Decimal(0),
                double_cost=row["double"] or 0,
            )
        )
    return found


def _sms_by_day(rows) -> dict[dt.date, Sms]:
    return _sms_figures(rows, "day")


def _top_templates(rows, sms_rows=None) -> list[dict]:
    figures: dict[str, dict] = defaultdict(
        lambda: {"total": 0, "delivered": 0, "accepted": 0, "cost": Decimal(0)}
    )
    for row in rows.values("template_id", "status").annotate(n=Sum("messages"), cost=Sum("cost")):
        entry = figures[row["template_id"]]
        entry["total"] += row["n"]
        entry["cost"] += row["cost"] or Decimal(0)
        if row["status"] == Message.Status.DELIVERED:
            entry["delivered"] += row["n"]
        if row["status"] in ACCEPTED:
            entry["accepted"] += row["n"]
    top = sorted(figures.items(), key=lambda item: (-item[1]["total"], item[0]))[:TOP_TEMPLATES]
    names = dict(
        Template.objects.filter(template_id__in=[t for t, _ in top]).values_list(
            "template_id", "name"
        )
    )
    sms = _sms_figures(sms_rows, "template_id") if sms_rows is not None else {}
    return [
        {
            "template_id": template_id,
            "name": names.get(template_id, ""),
            **entry,
            "sms": sms.get(template_id, Sms()),
            "total_cost": entry["cost"] + sms.get(template_id, Sms()).cost,
            "delivered_rate": (
                entry["delivered"] / entry["accepted"] if entry["accepted"] else None
            ),
        }
        for template_id, entry in top
    ]


def today() -> dt.date:
    return local_day()
