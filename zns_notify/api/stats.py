"""Counts per status and rates, per day (in the shop's ZNS time zone) or per template, and
the period's one-time codes and messages under a ZNS Journey.

The counts are the order messages', read live; a one-time code's message (event
``otp:<purpose>``) is left out of them, as on the reports page, and the codes are in
``otp``, read from the reports' daily aggregates (:mod:`zns_notify.reports.codes`):
refreshed every 5 minutes, and unchanged when old requests are deleted."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, F
from django.db.models.functions import TruncDate

from zns_notify.api.filters import day_start
from zns_notify.lib import clock
from zns_notify.models import Message, Template
from zns_notify.models.otp import OTP_EVENT_PREFIX
from zns_notify.reports.codes import Codes, codes_report
from zns_notify.reports.journeys import journeys_report

STATUSES = [status.value for status in Message.Status]
#: Statuses of messages Zalo accepted: the denominator of the delivery rate.
ACCEPTED = ("sent", "delivered", "undelivered")


def message_stats(start: dt.date, end: dt.date, group: str) -> dict[str, Any]:
    """Messages created from ``start`` to ``end`` (both included), grouped by ``"day"``
    (every day of the range, empty ones too) or ``"template"`` (those with messages)."""
    created = Message.objects.filter(
        created_at__gte=day_start(start), created_at__lt=day_start(end + dt.timedelta(days=1))
    ).exclude(event__startswith=OTP_EVENT_PREFIX)
    if group == "day":
        key = TruncDate("created_at", tzinfo=clock.zone())
    else:
        key = F("zalo_template_id")
    counts: dict[Any, dict[str, int]] = defaultdict(dict)
    rows = created.annotate(group_key=key).values("group_key", "status").annotate(n=Count("pk"))
    for row in rows.order_by():
        counts[row["group_key"]][row["status"]] = row["n"]
    if group == "day":
        days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
        groups = [{"day": day, **_figures(counts.get(day, {}))} for day in days]
    else:
        names = dict(
            Template.objects.filter(template_id__in=list(counts)).values_list("template_id", "name")
        )
        groups = [
            {
                "template": template_id,
                "name": names.get(template_id, ""),
                **_figures(counts[template_id]),
            }
            for template_id in sorted(counts)
        ]
    totals: dict[str, int] = defaultdict(int)
    for by_status in counts.values():
        for status, n in by_status.items():
            totals[status] += n
    return {
        "from": start,
        "to": end,
        "group": group,
        "timezone": clock.zone().key,
        "groups": groups,
        "totals": _figures(totals),
        "otp": _codes(start, end),
        "journeys": _journeys(start, end),
    }


def _journeys(start: dt.date, end: dt.date) -> dict[str, int]:
    """The period's messages of ZNS Journey bindings, from the reports' daily figures; not
    their cost nor the saving, which the reports show to those allowed to see costs."""
    totals = journeys_report(start, end).totals
    return {
        "messages": totals.messages,
        "delivered": totals.delivered,
        "billed": totals.tokens,
        "outside": totals.outside,
    }


def _codes(start: dt.date, end: dt.date) -> dict[str, Any]:
    """The codes of the period, in all and per purpose (most requested first); not their
    cost, which the reports show to those allowed to see costs."""
    report = codes_report(start, end)
    return {
        **_code_figures(report.totals),
        "purposes": [
            {"purpose": purpose, **_code_figures(codes)} for purpose, codes in report.purposes
        ],
    }


def _code_figures(codes: Codes) -> dict[str, Any]:
    return {
        "requested": codes.requested,
        "zns_delivered": codes.zns_delivered,
        "sms_sent": codes.sms_sent,
        "verified": codes.verified,
        "conversion": _rate(codes.verified, codes.requested),
        "sms_share": _rate(codes.sms_sent, codes.requested),
        "wire_p50_seconds": _seconds(codes.wire_p50),
        "wire_p95_seconds": _seconds(codes.wire_p95),
    }


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _figures(by_status: dict[str, int]) -> dict[str, Any]:
    counts = {status: by_status.get(status, 0) for status in STATUSES}
    total = sum(by_status.values())
    accepted = sum(counts[status] for status in ACCEPTED)
    return {
        "total": total,
        "accepted": accepted,
        "counts": counts,
        "delivered_rate": _rate(counts["delivered"], accepted),
        "failed_rate": _rate(counts["failed"], total),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
