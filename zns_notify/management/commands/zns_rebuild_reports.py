"""Recompute the reports' daily aggregates: ``zns_rebuild_reports [--since YYYY-MM-DD]``."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from zns_notify.reports.rollup import RefreshRunning, rebuild_reports


def parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--since {text!r}: give a date as YYYY-MM-DD.") from exc


class Command(BaseCommand):
    help = (
        "Recompute the delivery reports' daily aggregates from the message log, every "
        "local day from --since (default: the first message's day) to today. The "
        "schedule keeps recent days current; run this after importing or deleting "
        "messages, or for days older than REPORTS_REFRESH_DAYS."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since", type=parse_day, metavar="YYYY-MM-DD", help="First local day to recompute."
        )

    def handle(self, *args, **options):
        try:
            days = rebuild_reports(since=options["since"])
        except RefreshRunning as running:
            raise CommandError(
                f"A reports refresh is already running (since {running.since:%Y-%m-%d %H:%M} "
                "UTC); try again when it has finished."
            ) from running
        span = f" ({days[0]} to {days[-1]})" if days else ""
        self.stdout.write(self.style.SUCCESS(f"Reports recomputed: {len(days)} day(s){span}."))
