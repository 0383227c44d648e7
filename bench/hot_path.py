"""Cost of an order status change that fires one ZNS event, against the same save without
zns_notify, measured side by side in one run (issue: foundation, target <= 1.5x and <= 3
extra queries per event).

    .venv/bin/python bench/hot_path.py [--rounds 15] [--per-round 200] [--journal wal|delete]

Every side saves a real demo_shop Order on a SQLite file database, through the shop's own
status change and as a bare ``order.save()`` in autocommit mode. The zns_notify sides
render the binding, write the Message row and enqueue it: on django-q2's ORM broker as
configured (a queue row in the same transaction), and with zns_notify's outbox broker (the
message row is the queue). The sides are interleaved save by save so that machine noise
hits them alike; medians are reported.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PRAGMAS = {
    "wal": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "delete": "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;",
}


def setup(journal: str) -> None:
    os.environ["ZNS_BENCH_DB"] = str(Path(tempfile.mkdtemp(prefix="zns-bench-")) / "bench.sqlite3")
    os.environ["ZNS_BENCH_PRAGMAS"] = PRAGMAS[journal]
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def make_orders(count: int) -> list:
    from demo_shop.shop.models import Order

    start = Order.objects.count()
    Order.objects.bulk_create(  # bulk_create: no signals, so no events while preparing
        Order(
            code=f"BH{start + i:07d}",
            customer_name="Nguyễn Thị Lan",
            phone="0912345678",
            total=1250000,
            status="new",
        )
        for i in range(count)
    )
    return list(Order.objects.order_by("-pk")[:count])


def plain_save(order) -> None:
    """The leanest status change: one UPDATE in autocommit mode."""
    order.status = "paid"
    order.save(update_fields=["status"])


def shop_status_change(order) -> None:
    """The demo shop's own status change (admin action "Mark paid"): a transaction that
    locks the row, checks the transition and saves the status with its timestamp."""
    order.mark_paid()


SCENARIOS = {"plain-save": plain_save, "shop-status-change": shop_status_change}


def count_queries(change, orders: list) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        change(orders[0])
    return [q["sql"].split()[0].upper() for q in ctx.captured_queries]


def extra_statements(bare: list[str], zns: list[str]) -> int:
    """Statements zns_notify adds, not counting BEGIN/COMMIT: a bare autocommit UPDATE
    commits implicitly, so the explicit transaction around it adds no commit."""

    def real(statements):
        return [s for s in statements if s not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")]

    return len(real(zns)) - len(real(bare))


def _add_calibration_row(sender, instance, **kwargs) -> None:
    from django.utils import timezone
    from django_q.models import OrmQ

    OrmQ.objects.create(key="calibration", payload="x" * 400, lock=timezone.now())


def start_calibration() -> None:
    """Calibration: while active, every Order save also writes one ordinary ORM row, from a
    post_save receiver like zns_notify's, so it joins the change's own transaction (no
    savepoint). The smallest thing any outbox must add; shows what a row costs here."""
    from django.db.models.signals import post_save

    from demo_shop.shop.models import Order

    post_save.connect(_add_calibration_row, sender=Order, dispatch_uid="bench.calibration")


def stop_calibration() -> None:
    from django.db.models.signals import post_save

    from demo_shop.shop.models import Order

    post_save.disconnect(sender=Order, dispatch_uid="bench.calibration")


def in_one_transaction(change):
    """A change that runs in autocommit, wrapped in a transaction (as zns_notify's watcher
    wraps the save) so that the calibration row commits with it."""
    from django.db import transaction

    if change is not plain_save:
        return change

    def changed(order) -> None:
        with transaction.atomic():
            change(order)

    return changed


#: The zns_notify sides: django-q2's ORM broker as configured (a queue row per event, in
#: the change's transaction) and zns_notify's outbox broker (the message row is the queue).
BROKERS = {"zns (ORM broker)": None, "zns (outbox broker)": "zns_notify.broker.OutboxORM"}
SIDES = ("bare", "one-more-row", *BROKERS)


def prepare(side: str) -> None:
    """Put the process in the state ``side`` is measured in (outside the timed region)."""
    from django_q.conf import Conf

    from zns_notify.events.watchers import connect_order_watcher, disconnect_order_watcher

    disconnect_order_watcher()
    stop_calibration()
    Conf.BROKER_CLASS = BROKERS.get(side)  # read per event by the hot path
    if side in BROKERS:
        connect_order_watcher()
    elif side == "one-more-row":
        start_calibration()


def measure(name: str, change, rounds: int, per_round: int) -> None:
    """Interleave the sides save by save (rotating which goes first), so that a slow
    stretch of the disk or CPU lands on every side alike instead of on one side's round."""
    from django_q.models import OrmQ

    prepare("bare")
    bare_sql = count_queries(change, make_orders(1))
    changes = {
        side: in_one_transaction(change) if side == "one-more-row" else change for side in SIDES
    }
    samples: dict[str, list[float]] = {side: [] for side in SIDES}
    for _ in range(rounds):
        orders = {}
        for side in SIDES:  # loaded in the side's own state, as the shop would load them
            prepare(side)
            orders[side] = make_orders(per_round)
        for i in range(per_round):
            for shift in range(len(SIDES)):
                side = SIDES[(i + shift) % len(SIDES)]
                prepare(side)
                started = time.perf_counter()
                changes[side](orders[side][i])
                samples[side].append(time.perf_counter() - started)
    OrmQ.objects.filter(key="calibration").delete()
    median = {side: statistics.median(samples[side]) * 1e3 for side in SIDES}
    print(f"{name}: bare {median['bare']:.3f} ms ({' '.join(bare_sql)})")
    for side in SIDES[1:]:
        line = f"  {side:<20} {median[side]:6.3f} ms  ratio {median[side] / median['bare']:4.2f}x"
        if side in BROKERS:
            prepare(side)
            zns_sql = count_queries(change, make_orders(1))
            line += f"  extra statements {extra_statements(bare_sql, zns_sql)}: {' '.join(zns_sql)}"
        print(line)
    prepare("bare")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--per-round", type=int, default=200)
    parser.add_argument("--journal", choices=sorted(PRAGMAS), default="delete")
    args = parser.parse_args()
    setup(args.journal)
    logging.getLogger("django-q").setLevel(logging.WARNING)

    from tests.factories import BindingFactory
    from zns_notify.models import Message

    BindingFactory(event="order_paid")
    print(
        f"SQLite journal={args.journal}; {args.rounds} rounds x {args.per_round} saves per side, "
        "interleaved save by save; medians"
    )
    for name, change in SCENARIOS.items():
        measure(name, change, args.rounds, args.per_round)
    expected = len(SCENARIOS) * len(BROKERS) * (args.rounds * args.per_round + 1)
    written = Message.objects.filter(event="order_paid").count()
    print(f"messages written {written}/{expected} (target: ratio <= 1.5x, <= 3 extra statements)")
    if written != expected:
        sys.exit("not every event wrote its message")


if __name__ == "__main__":
    main()
