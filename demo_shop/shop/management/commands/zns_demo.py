"""zns_demo --orders N [--timeout S] [--json] [--inline]: drive demo orders, print the outcome.

Prints one line (design.md §4):
    orders=N messages=M sent=S delivered=D failed=F skipped=K pending=P duplicates=X
Exits non-zero when messages are still pending at the timeout or any failed.
"""

from __future__ import annotations

import json
import random

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zns_notify.tasks import send_messages

from ...demo_driver import messages_of, place_demo_orders, summarize, wait_until_final
from ...demo_seed import DemoSetupError, seed_demo


class Command(BaseCommand):
    help = (
        "Place N demo orders, move each through paid, shipped and delivered, wait until "
        "their ZNS messages are final, and print the counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orders", type=int, default=20, help="How many orders (default 20).")
        parser.add_argument(
            "--timeout",
            type=float,
            default=120.0,
            help="Seconds to wait for the messages to become final (default 120).",
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the counts as JSON."
        )
        parser.add_argument(
            "--inline",
            action="store_true",
            help="Send queued messages in this process instead of relying on a running qcluster.",
        )
        parser.add_argument("--seed", type=int, help="Random seed, to replay the same orders.")

    def handle(self, *args, orders, timeout, as_json, inline, seed, **options) -> None:
        if orders < 0:
            raise CommandError("--orders must be 0 or more.")
        try:
            report = seed_demo()
        except DemoSetupError as exc:
            raise CommandError(str(exc)) from exc
        if report.created:
            self.stderr.write(f"Seeded the demo: {report}.")

        placed = place_demo_orders(orders, random.Random(seed))
        # --inline: this process stands in for the qcluster worker.
        send_due = send_messages if inline else None
        wait_until_final(messages_of(placed), timeout=timeout, send_due=send_due)
        summary = summarize(placed, report.sandbox)

        self.stdout.write(json.dumps(summary.as_dict()) if as_json else summary.line())
        if summary.pending:
            raise CommandError(f"{summary.pending} messages still pending after {timeout:g} s.")
        if summary.failed:
            raise CommandError(f"{summary.failed} messages failed; see the admin's message log.")
