"""Delivery receipts processed per second through the real webhook view, against the cost
of a bare indexed UPDATE of one row, measured side by side in one run (issue 4: target
>= 1,000 receipts/s).

    .venv/bin/python bench/webhooks.py [--messages 100000] [--rounds 10] [--per-round 300]
                                       [--journal wal|delete] [--fallback]

A SQLite file database holds ``--messages`` messages (bulk-created, status sent, each with a
Zalo msg_id). One side posts signed ``user_received_message`` receipts through Django's
test client to /zns/webhook/ (the whole middleware stack, signature check, the stored
WebhookEvent, the forward-only update, the timeline row, the commit); the other runs
``Message.objects.filter(msg_id=...).update(...)`` in autocommit, the least any receiver
must do. Each receipt and each UPDATE is about a different message. The sides are
interleaved operation by operation so machine noise hits them alike; medians are reported.
Bodies are built and signed before the clock starts (signing is Zalo's work).
``--fallback`` gives every message a pending SMS fallback step (docs/fallback.md), which
each receipt cancels: the cost of a receipt for a binding with the fallback on.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.hot_path import PRAGMAS, setup  # noqa: E402

URL = "/zns/webhook/"


def make_steps(count: int) -> None:
    """A scheduled SMS fallback step for each message, due after the bench."""
    import datetime as dt

    from django.utils import timezone

    from zns_notify.models import FallbackStep, Message

    due = timezone.now() + dt.timedelta(hours=1)
    pks = list(Message.objects.order_by("pk").values_list("pk", "idempotency_key")[:count])
    for start in range(0, len(pks), 5000):
        FallbackStep.objects.bulk_create(
            FallbackStep(
                message_id=pk, reference=f"{key}-sms", reason="window", trigger="window", due_at=due
            )
            for pk, key in pks[start : start + 5000]
        )


def make_messages(count: int) -> list[str]:
    from django.utils import timezone

    from tests.factories import TemplateFactory
    from zns_notify.models import Message

    template = TemplateFactory(template_id="100001")
    now = timezone.now()
    msg_ids = [f"{i:020x}" for i in range(count)]
    batch = 5000
    for start in range(0, count, batch):
        Message.objects.bulk_create(
            Message(
                idempotency_key=f"zns{i:040d}",
                event="order_paid",
                template=template,
                zalo_template_id="100001",
                order_type="shop.order",
                order_pk=str(i),
                order_ref=f"BH{i:07d}",
                phone="84912345678",
                status=Message.Status.SENT,
                msg_id=msg_ids[i],
                sent_at=now,
                attempts=1,
            )
            for i in range(start, min(start + batch, count))
        )
    return msg_ids


def signed_receipt(msg_id: str, app_id: str, secret: str) -> tuple[bytes, str]:
    timestamp = str(int(time.time() * 1000))
    body = json.dumps(
        {
            "app_id": app_id,
            "event_name": "user_received_message",
            "sender": {"id": "2718281828459045235"},
            "recipient": {"id": "84912345678"},
            "message": {"delivery_time": timestamp, "msg_id": msg_id, "tracking_id": ""},
            "timestamp": timestamp,
        },
        separators=(",", ":"),
    ).encode()
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode())
    return body, "mac=" + digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=300)
    parser.add_argument("--journal", choices=sorted(PRAGMAS), default="wal")
    parser.add_argument(
        "--fallback", action="store_true", help="every message has a pending SMS fallback step"
    )
    args = parser.parse_args()
    if 2 * args.rounds * args.per_round + 2 > args.messages:
        sys.exit("not enough messages for that many rounds")
    setup(args.journal)
    logging.getLogger("django-q").setLevel(logging.WARNING)

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from zns_notify.conf import app_settings
    from zns_notify.models import Message, WebhookEvent

    started = time.perf_counter()
    msg_ids = make_messages(args.messages)
    if args.fallback:
        make_steps(args.messages)
    print(
        f"SQLite journal={args.journal}; {args.messages:,} sent messages created in "
        f"{time.perf_counter() - started:.1f} s; {args.rounds} rounds x {args.per_round} "
        "operations per side, interleaved; medians"
    )
    client = Client()
    app_id, secret = app_settings.APP_ID, app_settings.WEBHOOK_SECRET_KEYS[0]
    delivered = Message.Status.DELIVERED

    def receipt(request: tuple[bytes, str]) -> None:
        body, signature = request
        response = client.post(
            URL, data=body, content_type="application/json", HTTP_X_ZEVENT_SIGNATURE=signature
        )
        assert response.status_code == 200, response.content

    def bare_update(msg_id: str) -> None:
        # exclude(msg_id=""): the msg_id index is partial; SQLite uses it only then.
        Message.objects.filter(msg_id=msg_id).exclude(msg_id="").update(
            status=delivered, delivered_at=timezone.now()
        )

    with connection.cursor() as cursor:
        # The receiver's lookup (zns_notify.receipts.matching.find_message_row).
        cursor.execute(
            'EXPLAIN QUERY PLAN SELECT m."id", m."status", s."status" '
            "FROM zns_notify_message m LEFT OUTER JOIN zns_notify_fallbackstep s "
            'ON s."message_id" = m."id" '
            'WHERE m."msg_id" = %s AND NOT (m."msg_id" = \'\') LIMIT 1',
            ["x"],
        )
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    pool = iter(msg_ids)
    with CaptureQueriesContext(connection) as ctx:
        receipt(signed_receipt(next(pool), app_id, secret))
    statements = [q["sql"].split()[0].upper() for q in ctx.captured_queries]
    print(
        f"one receipt: {len(statements)} statements ({' '.join(statements)}); "
        f"msg_id lookup plan: {plan}"
    )
    next(pool)

    samples: dict[str, list[float]] = {"receipt": [], "bare UPDATE": []}
    wall = {"receipt": 0.0, "bare UPDATE": 0.0}
    for _round in range(args.rounds):
        requests = [signed_receipt(next(pool), app_id, secret) for _ in range(args.per_round)]
        updates = [next(pool) for _ in range(args.per_round)]
        for i in range(args.per_round):
            order = (("receipt", receipt, requests[i]), ("bare UPDATE", bare_update, updates[i]))
            for side, run, arg in order if i % 2 == 0 else order[::-1]:
                t0 = time.perf_counter()
                run(arg)
                elapsed = time.perf_counter() - t0
                samples[side].append(elapsed)
                wall[side] += elapsed

    count = args.rounds * args.per_round
    receipts = Message.objects.filter(status=delivered).count()
    stored = WebhookEvent.objects.filter(outcome="applied").count()
    median = {side: statistics.median(values) for side, values in samples.items()}
    for side in samples:
        print(
            f"  {side:<12} median {median[side] * 1e3:6.3f} ms = {1 / median[side]:8,.0f}/s"
            f"   (sustained {count / wall[side]:8,.0f}/s)"
        )
    ratio = median["receipt"] / median["bare UPDATE"]
    rate = 1 / median["receipt"]
    print(
        f"receipt / bare UPDATE: {ratio:.1f}x; receipts {rate:,.0f}/s "
        f"(target >= 1,000/s: {'met' if rate >= 1000 else 'NOT met'})"
    )
    expected = 2 * count + 1
    print(f"delivered {receipts}/{expected}, webhook events stored {stored}/{count + 1}")
    if args.fallback:
        from zns_notify.models import FallbackStep

        cancelled = FallbackStep.objects.filter(status="cancelled").count()
        print(f"SMS fallback steps cancelled by their receipt {cancelled}/{count + 1}")
    if receipts != expected or stored != count + 1:
        sys.exit("not every receipt was applied")


if __name__ == "__main__":
    main()
