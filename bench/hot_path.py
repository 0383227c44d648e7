"""Cost of an order status change that fires one ZNS event, against the same save without
zns_notify, measured side by side in one run (issue: foundation, target <= 1.5x and <= 3
extra queries per event).

    .venv/bin/python bench/hot_path.py [--rounds 15] [--per-round 200] [--journal wal|delete]

Both sides save a real demo_shop Order on a SQLite file database in autocommit mode, as a
plain ``order.save()`` in a view would; the zns_notify side renders the binding, writes the
Message row and enqueues it on django-q2's ORM broker. Rounds alternate between the two
sides so that machine noise hits both alike; medians are reported.
"""

from __future__ import annotations

import argparse
import contextlib
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
        Order(code=f"BH{start + i:07d}", customer_name="Nguyễn Thị Lan", phone="0912345678",
              total=1250000, status="new")
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


def timed(change, orders: list) -> list[float]:
    samples = []
    for order in orders:
        started = time.perf_counter()
        change(order)
        samples.append(time.perf_counter() - started)
    return samples


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


@contextlib.contextmanager
def one_more_row():
    """Calibration: while active, every Order save also writes one ordinary ORM row, from a
    post_save receiver like zns_notify's, so it joins the change's own transaction (no
    savepoint). The smallest thing any outbox must add; shows what a row costs here."""
    from django.db.models.signals import post_save
    from django.utils import timezone
    from django_q.models import OrmQ

    from demo_shop.shop.models import Order

    def add_row(sender, instance, **kwargs) -> None:
        OrmQ.objects.create(key="calibration", payload="x" * 400, lock=timezone.now())

    post_save.connect(add_row, sender=Order, dispatch_uid="bench.calibration")
    try:
        yield
    finally:
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


def measure(name: str, change, rounds: int, per_round: int) -> tuple[float, float, int]:
    from django_q.models import OrmQ

    from zns_notify.watchers import connect_order_watcher, disconnect_order_watcher

    disconnect_order_watcher()
    bare_sql = count_queries(change, make_orders(1))
    connect_order_watcher()
    zns_sql = count_queries(change, make_orders(1))
    bare: list[float] = []
    zns: list[float] = []
    one_row: list[float] = []
    for _ in range(rounds):
        disconnect_order_watcher()
        bare += timed(change, make_orders(per_round))
        with one_more_row():
            one_row += timed(in_one_transaction(change), make_orders(per_round))
        connect_order_watcher()
        zns += timed(change, make_orders(per_round))
    OrmQ.objects.filter(key="calibration").delete()
    bare_ms, zns_ms, row_ms = (statistics.median(x) * 1e3 for x in (bare, zns, one_row))
    extra = extra_statements(bare_sql, zns_sql)
    print(
        f"{name:<20} bare {bare_ms:6.3f} ms | firing one event {zns_ms:6.3f} ms "
        f"(ratio {zns_ms / bare_ms:4.2f}x) | bare + one ORM row {row_ms:6.3f} ms "
        f"(ratio {row_ms / bare_ms:4.2f}x) | extra statements {extra}: {' '.join(zns_sql)}"
    )
    return bare_ms, zns_ms, extra


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--per-round", type=int, default=200)
    parser.add_argument("--journal", choices=sorted(PRAGMAS), default="delete")
    args = parser.parse_args()
    setup(args.journal)
    logging.getLogger("django-q").setLevel(logging.WARNING)

    from zns_notify.models import Message
    from tests.factories import BindingFactory

    BindingFactory(event="order_paid")
    print(f"SQLite journal={args.journal}; {args.rounds} alternating rounds x {args.per_round} saves per side; medians")
    for name, change in SCENARIOS.items():
        measure(name, change, args.rounds, args.per_round)
    expected = len(SCENARIOS) * (args.rounds * args.per_round + 1)
    written = Message.objects.filter(event="order_paid").count()
    print(f"messages written {written}/{expected} (target: ratio <= 1.5x, <= 3 extra statements)")
    if written != expected:
        sys.exit("not every event wrote its message")


if __name__ == "__main__":
    main()
