"""The django-q2 schedules zns_notify relies on, created after ``migrate``."""

from __future__ import annotations

from typing import Any


def ensure_schedules(**kwargs: Any) -> None:
    """post_migrate receiver: create the sweeper, quota, token and reconciler schedules once;
    never touch an edited one."""
    from django_q.models import Schedule

    Schedule.objects.get_or_create(
        name="zns_notify.refresh_token",
        defaults={
            "func": "zns_notify.tasks.refresh_token",
            "schedule_type": Schedule.MINUTES,
            "minutes": 15,
            "repeats": -1,
        },
    )

    Schedule.objects.get_or_create(
        name="zns_notify.sweep",
        defaults={
            "func": "zns_notify.tasks.sweep",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
    # The OA's quota ledger, from GET /message/quota (sends keep it current in between).
    Schedule.objects.get_or_create(
        name="zns_notify.refresh_quota",
        defaults={
            "func": "zns_notify.quota.refresh_quota",
            "schedule_type": Schedule.MINUTES,
            "minutes": 30,
            "repeats": -1,
        },
    )
    # Sent messages without a receipt: ask GET /message/status (zns_notify.reconcile).
    Schedule.objects.get_or_create(
        name="zns_notify.reconcile",
        defaults={
            "func": "zns_notify.reconcile.reconcile",
            "schedule_type": Schedule.MINUTES,
            "minutes": 5,
            "repeats": -1,
        },
    )
