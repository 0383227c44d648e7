"""bench/otp_latency.py's children, inside Django with the profile's settings: one writes
the order backlog, the other plays the shop's web process that asks for the codes.

Both print one JSON line on stdout for the parent.
"""

from __future__ import annotations

import json
import random
import time

#: Orders written per transaction while the backlog is built.
CHUNK = 500
#: Order messages sent before the codes of the case without a backlog: the clusters are
#: then past their start-up and polling.
WARM_UP = 10
#: Final statuses of a message: anything but waiting to be sent or being sent.
WAITING = ("queued", "sending")
POLL = 0.05


def run_child(args) -> int:
    import django

    django.setup()
    if args.child == "backlog":
        print(json.dumps({"written": write_orders(args.backlog)}))
    else:
        print(json.dumps(request_codes(args)))
    return 0


def write_orders(count: int) -> int:
    """``count`` demo orders, each announced with ``zns_notify.notify("order_created")``:
    the event path writes its message (and on a broker outside the database pushes its
    task after the commit), as the shop's checkout does."""
    from django.db import transaction

    from demo_shop.shop.demo_catalogue import NOT_ON_ZALO_CUSTOMERS
    from demo_shop.shop.models import Customer, Order
    from zns_notify import notify

    customers = list(Customer.objects.exclude(phone__in=[p for _n, p in NOT_ON_ZALO_CUSTOMERS]))
    first = Order.objects.count()
    for start in range(0, count, CHUNK):
        with transaction.atomic():
            orders = Order.objects.bulk_create(
                Order(
                    code=f"BL{first + i:07d}",
                    customer=customers[i % len(customers)],
                    customer_name=customers[i % len(customers)].full_name,
                    phone=customers[i % len(customers)].phone,
                    total=150_000 + i,
                )
                for i in range(start, min(start + CHUNK, count))
            )
            for order in orders:
                notify("order_created", order)
    return count


def _order_messages():
    from zns_notify.models import Message

    return Message.objects.exclude(event__startswith="otp:")


def warm_up(backlog: int, timeout: float) -> None:
    """Return once the clusters are sending: the case's backlog, or a few order messages
    written for the purpose."""
    if backlog:
        wanted, sent = min(100, max(backlog // 10, 1)), ["sent"]
    else:
        wanted, sent = write_orders(WARM_UP), None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = _order_messages()
        if sent:
            if messages.filter(status__in=sent).count() >= wanted:
                return
        elif not messages.filter(status__in=WAITING).exists():
            return
        time.sleep(POLL)
    raise SystemExit(f"the clusters sent no order message within {timeout:g} s")


def redis_tasks() -> int | None:
    """Tasks queued in django-q2's Redis broker; None on another broker."""
    from django_q.brokers import get_broker
    from django_q.conf import Conf

    if not Conf.REDIS or Conf.ORM:
        return None
    return get_broker().queue_size()


def request_codes(args) -> dict:
    """Ask for ``args.codes`` codes as a web process would, then wait until each code's
    message is final; the figures for the parent."""
    from django.db import connection
    from django.db.models import Count

    from zns_notify.conf import app_settings
    from zns_notify.models import Message, OtpChallenge
    from zns_notify.otp import request_code

    warm_up(args.backlog, args.timeout)
    lane_started = _time_the_lane()
    statements = StatementClock()
    purpose = next(iter(app_settings.OTP_PURPOSES))
    rng = random.Random(f"otp-latency-{args.case}")
    order_messages = _order_messages()
    tasks = redis_tasks()
    queued, starts, calls, keys = [], [], [], []
    next_at = time.monotonic()
    for i in range(args.codes):
        time.sleep(max(0.0, next_at - time.monotonic()))
        next_at = time.monotonic() + rng.uniform(*args.spacing)
        # Distinct phones (and client IPs), so no cooldown or per-phone limit applies.
        phone = f"8498{args.case}{i:06d}"
        queued.append(order_messages.filter(status="queued").count())
        started = time.time()
        with connection.execute_wrapper(statements):
            request_code(phone, purpose, client_ip=f"10.{args.case}.{i // 200}.{i % 200 + 1}")
        calls.append(time.time() - started)
        starts.append(started)
        challenge = (
            OtpChallenge.objects.filter(phone=phone, purpose=purpose)
            .select_related("message")
            .latest("created_at")
        )
        keys.append(challenge.message.idempotency_key)

    codes = Message.objects.filter(idempotency_key__in=keys)
    deadline = time.monotonic() + args.timeout
    while codes.filter(status__in=WAITING).exists() and time.monotonic() < deadline:
        time.sleep(POLL)
    queued_at_last = order_messages.filter(status="queued").count()
    tracking = _sandbox_tracking()
    first_seen, counts = tracking["first_seen"], tracking["counts"]
    statuses = dict(codes.values_list("status").annotate(n=Count("pk")))
    return {
        "latencies": [
            first_seen[key] - start if key in first_seen else None
            for key, start in zip(keys, starts, strict=True)
        ],
        "calls": calls,
        "phases": [
            statements.split(start, lane_started.get(key), first_seen.get(key))
            for key, start in zip(keys, starts, strict=True)
        ],
        "queued_at_requests": queued,
        "queued_at_last_arrival": queued_at_last,
        "redis_tasks": tasks,
        "sandbox_counts": [counts.get(key, 0) for key in keys],
        "statuses": statuses,
    }


class StatementClock:
    """Django's execute wrapper that notes when each SQL statement of the request began
    and how long it took; ``BEGIN`` apart, since on SQLite (IMMEDIATE transactions) that
    is where a writer waits for the database's one write lock."""

    def __init__(self) -> None:
        self.statements: list[tuple[float, float, bool]] = []

    def __call__(self, execute, sql, params, many, context):
        began, clock = time.time(), time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append((began, time.perf_counter() - clock, sql.startswith("BEGIN")))

    def split(self, start: float, lane: float | None, wire: float | None) -> dict | None:
        """``[seconds, at BEGIN, in other SQL]`` of the request before its own send
        began and of that send until the code was on the wire; None when the code did
        not go out through the request's own send."""
        if lane is None or wire is None or not start <= lane <= wire:
            return None
        phases = {}
        for name, (begin, end) in {"request": (start, lane), "lane": (lane, wire)}.items():
            inside = [(at, min(took, end - at), first) for at, took, first in self.statements]
            inside = [(took, first) for at, took, first in inside if begin <= at < end]
            phases[name] = [
                end - begin,
                sum(took for took, first in inside if first),
                sum(took for took, first in inside if not first),
            ]
        return phases


def _time_the_lane() -> dict[str, float]:
    """When the request's own send of each code began (key -> epoch seconds): the time
    before it is the request's transaction and commit, the time after it the claim, gate
    and HTTP call of the priority lane. Empty without the lane (before issue 17's lane,
    or ``OTP_SEND_FROM_REQUEST`` off)."""
    try:
        from zns_notify.otp import lane
    except ImportError:
        return {}
    started: dict[str, float] = {}
    send_now = lane.send_now

    def timed(key: str) -> None:
        started[key] = time.time()
        send_now(key)

    # The request looks it up when it commits (partial(lane.send_now, key)): wrapped here,
    # in the benchmark's own process, the lane runs unchanged and is timed.
    lane.send_now = timed
    return started


def _sandbox_tracking() -> dict:
    import requests

    from zns_notify.conf import app_settings

    url = f"{app_settings.API_BASE_URL.rstrip('/')}/_sandbox/tracking"
    response = requests.get(url, timeout=30)
    response.raise_for_status()
    return response.json()
