"""Counts per status and rates, per day (in the shop's ZNS time zone) or per template."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, F
from django.db.models.functions import TruncDate

from zns_notify.api.filters import day_start
from zns_notify.lib import clock
from zns_notify.models import Message, Template

STATUSES = [status.value for status in Message.Status]
#: Statuses of messages Zalo accepted: the denominator of the delivery rate.
ACCEPTED = ("sent", "delivered", "undelivered")


def message_stats(start: dt.date, end: dt.date, group: str) -> dict[str, Any]:
    """Messages created from ``start`` to ``end`` (both included), grouped by ``"day"``
    (every day of the range, empty ones too) or ``"template"`` (those with messages)."""
    created = Message.objects.filter(
        created_at__gte=day_start(start), created_at__lt=day_start(end + dt.timedelta(days=1))
    )
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
    }


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
