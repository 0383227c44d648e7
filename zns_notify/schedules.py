"""The django-q2 schedules zns_notify relies on, created after ``migrate``."""

from __future__ import annotations

from typing import Any

#: (name, function, every N minutes). Created once; an admin's edits are never undone.
SCHEDULES = (
    # Refresh the access token well before it expires (zns_notify.tokens).
    ("zns_notify.refresh_token", "zns_notify.tasks.refresh_token", 15),
    # Due retries, lost tasks, dead workers' rows (zns_notify.tasks.sweep).
    ("zns_notify.sweep", "zns_notify.tasks.sweep", 1),
    # The OA's quota ledger, from GET /message/quota (sends keep it current in between).
    ("zns_notify.refresh_quota", "zns_notify.quota.refresh_quota", 30),
    # Sent messages without a receipt: ask GET /message/status (zns_notify.reconcile).
    ("zns_notify.reconcile", "zns_notify.reconcile.reconcile", 5),
    # The recipient cap's past days (zns_notify.policy): only today's counts matter.
    ("zns_notify.prune_recipient_counts", "zns_notify.policy.prune_counts", 24 * 60),
    # The reports' daily aggregates: today and the days still in progress (zns_notify.rollup;
    # a lease lets one run at a time work, however many clusters pick the schedule up).
    ("zns_notify.refresh_reports", "zns_notify.rollup.refresh_reports", 5),
)


def ensure_schedules(**kwargs: Any) -> None:
    """post_migrate receiver: create each schedule once; never touch an edited one."""
    from django_q.models import Schedule

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
