"""The message log's admin pages at 1,000,000 messages (issue 6: each under 300 ms median
on SQLite on this machine).

    .venv/bin/python bench/admin.py [--rows 1000000] [--repeat 15] [--reseed] [--db PATH]

A SQLite file (var/bench-admin.sqlite3 by default) is migrated with the demo's settings and
seeded in bulk with raw executemany in large transactions: messages spread over 90 days,
with a realistic mix of statuses, events, templates, error categories and phones, and a
timeline for a sample of them. The file is kept, so re-runs only time the views; --reseed
builds it again (also needed after a migration changed the schema or indexes).

The views are the real ones: Django's test Client, logged in as a superuser, GETs the
changelist, its filters, searches and a change page; each view is timed --repeat times
(after one warm-up request) and its median and p90 reported with PASS/FAIL against 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_MS = 300.0
DAYS = 90
TEMPLATES = [f"{230000 + i}" for i in range(12)]
# (status, weight): most messages end delivered; failures and policy decisions are a minority.
STATUSES = [
    ("delivered", 80),
    ("sent", 6),
    ("failed", 4),
    ("undelivered", 2),
    ("skipped", 3),
    ("cancelled", 1.5),
    ("queued", 3),
    ("sending", 0.5),
]
EVENTS = [
    ("order_created", 40),
    ("order_paid", 25),
    ("order_shipped", 20),
    ("order_delivered", 12),
    ("order_cancelled", 3),
]
FAILURE_CATEGORIES = [
    ("recipient", 50),
    ("payload", 15),
    ("config", 10),
    ("retry", 15),
    ("ambiguous", 10),
]


def setup(db: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "demo_shop.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    import django

    django.setup()


def weighted(pairs, rng: random.Random, n: int) -> list:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=n)


def migrated(db: Path) -> sqlite3.Connection:
    """Migrate the fresh file, add the superuser the views log in as, and open it for bulk
    inserts."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    get_user_model().objects.create_superuser("bench", "bench@example.com", "bench")
    connection.close()
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")  # a benchmark file: rebuilt on --reseed anyway
    return con


def seed(db: Path, rows: int) -> float:
    """Migrate a fresh file and fill it; returns the seconds spent seeding (after migrate)."""
    con = migrated(db)
    started = time.perf_counter()
    rng = random.Random(6)
    now = datetime.now(UTC).replace(microsecond=0)
    params = json.dumps(
        {
            "customer_name": "Nguyễn Thị Lan",
            "order_code": "BH0000000",
            "total_amount": "1.250.000 ₫",
            "status": "Đã thanh toán",
        },
        ensure_ascii=False,
    )
    with con:
        con.executemany(
            "INSERT INTO zns_notify_template (template_id, name, status, tag, zalo_tag, params,"
            " buttons, quality, preview_url, reason, sync_note) VALUES (?, ?, 'ENABLE', ?, ?,"
            " '[]', '[]', 'HIGH', '', '', '')",
            [(t, f"Mẫu {t}", "TRANSACTION", "TRANSACTION") for t in TEMPLATES],
        )
        template_pk = dict(con.execute("SELECT template_id, id FROM zns_notify_template"))
        stamp = now.isoformat(sep=" ")
        con.executemany(
            "INSERT INTO zns_notify_binding (name, event, template_id, params, is_active,"
            " delay_minutes, condition, sms_enabled, sms_text, sms_window_minutes, sms_triggers,"
            " created_at, updated_at) VALUES (?, ?, ?, '{}', 1, 0, '', 1, 'Don {{ order_code }}',"
            " 5, '[\"not_on_zalo\"]', ?, ?)",
            [
                (f"{e} {t}", e, template_pk[t], stamp, stamp)
                for e, _ in EVENTS
                for t in TEMPLATES[:2]
            ],
        )
    binding_pk = {
        (e, t): pk
        for pk, e, t in con.execute(
            "SELECT b.id, b.event, t.template_id FROM zns_notify_binding b"
            " JOIN zns_notify_template t ON t.id = b.template_id"
        )
    }

    chunk = 50_000
    span = DAYS * 86400
    # Created times ascending with the primary key, as in real life.
    offsets = sorted(rng.random() * span for _ in range(rows))
    insert = (
        "INSERT INTO zns_notify_message (id, idempotency_key, event, binding_id, template_id,"
        " zalo_template_id, order_type, order_pk, order_ref, phone, params, development_mode,"
        " status, msg_id, error_code, error_category, error_message, attempts, ambiguous_sends,"
        " next_attempt_at, created_at, claimed_at, relayed_at, sent_at, delivered_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 'shop.order', ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?,"
        " NULL, ?, ?)"
    )
    for base in range(0, rows, chunk):
        n = min(chunk, rows - base)
        statuses = weighted(STATUSES, rng, n)
        events = weighted(EVENTS, rng, n)
        batch = []
        for i in range(n):
            pk = base + i + 1
            created = now - timedelta(seconds=span - offsets[base + i])
            status, event = statuses[i], events[i]
            template = TEMPLATES[int(rng.paretovariate(1.2)) % len(TEMPLATES)]
            order = (pk * 7919) % (rows // 3 + 1)
            phone = f"849{rng.randrange(10_000_000, 99_999_999)}"
            sent = status in ("sent", "delivered", "undelivered")
            category, code, reason = "", None, ""
            if status in ("failed", "undelivered"):
                category = weighted(FAILURE_CATEGORIES, rng, 1)[0]
                code, reason = -118, "Zalo account not existed"
            elif status in ("skipped", "cancelled") or (status == "queued" and rng.random() < 0.3):
                category, reason = "policy", "recipient daily cap reached"
            fmt = lambda d: d.isoformat(sep=" ") if d else None  # noqa: E731
            batch.append(
                (
                    pk,
                    f"{pk:032x}",
                    event,
                    binding_pk.get((event, template)),
                    template_pk[template],
                    template,
                    str(order),
                    f"BH{order:07d}",
                    phone,
                    params,
                    status,
                    f"{pk:016x}a1b2c3d4" if sent else "",
                    code,
                    category,
                    reason,
                    1 if sent or status == "failed" else 0,
                    fmt(created) if status == "queued" else None,
                    fmt(created),
                    fmt(created + timedelta(seconds=1)) if sent else None,
                    fmt(created + timedelta(seconds=2)) if sent else None,
                    fmt(created + timedelta(seconds=20)) if status == "delivered" else None,
                )
            )
        with con:
            con.executemany(insert, batch)
    # A timeline for a sample (every 50th message, and the newest 2,000): an attempt with
    # the request and Zalo's answer the worker keeps (the detail page renders them), and a
    # receipt.
    sample = [pk for pk in range(1, rows + 1) if pk % 50 == 0 or pk > rows - 2000]
    attempt = json.dumps(
        {
            "request": {
                "path": "/message/template",
                "body": {
                    "phone": "84912345678",
                    "template_id": TEMPLATES[0],
                    "template_data": json.loads(params),
                    "tracking_id": "zns" + "0" * 40,
                },
            },
            "answer": {
                "error": 0,
                "message": "Success",
                "data": {
                    "msg_id": "a4d0243feee163bd3af2",
                    "sent_time": "1626926349402",
                    "quota": {"dailyQuota": "500", "remainingQuota": "499"},
                },
            },
        },
        ensure_ascii=False,
    )
    with con:
        con.executemany(
            "INSERT INTO zns_notify_messageevent (message_id, kind, at, status, error_code,"
            " detail, payload) SELECT id, ?, created_at, ?, NULL, ?, ? FROM zns_notify_message"
            " WHERE id = ?",
            [
                (kind, st, detail, payload, pk)
                for pk in sample
                for kind, st, detail, payload in (
                    ("attempt", "sent", "Accepted by Zalo as a4d0243feee163bd3af2.", attempt),
                    ("receipt", "delivered", "user_received_message", None),
                )
            ],
        )
    # SMS fallback steps (the log's channel column, its filter, the timeline): most failed
    # and undelivered messages fell back (sent; a tenth failed), one delivered message in
    # twenty had a window step (cancelled by the receipt; every tenth of those sent and paid
    # twice), a sent message still waiting has one scheduled.
    with con:
        con.execute(
            "INSERT INTO zns_notify_fallbackstep (message_id, channel, reference, status, reason,"
            ' "trigger", due_at, attempts, claimed_at, sent_at, cancelled_at, text, provider,'
            " provider_message_id, encoding, segments, cost, error_kind, error_message, result,"
            " double_cost, created_at)"
            " SELECT id, 'sms', idempotency_key || '-sms', st, rs, tr, created_at,"
            " CASE WHEN st IN ('sent', 'failed') THEN 1 ELSE 0 END,"
            " CASE WHEN st IN ('sent', 'failed') THEN created_at END,"
            " CASE WHEN st = 'sent' THEN created_at END,"
            " CASE WHEN st = 'cancelled' THEN created_at END,"
            " CASE WHEN st = 'sent' THEN 'Don hang BH0000000 da duoc giao' ELSE '' END,"
            " 'esms', CASE WHEN st = 'sent' THEN 'e' || id ELSE '' END, 'GSM-7',"
            " CASE WHEN st = 'sent' THEN 1 ELSE 0 END, CASE WHEN st = 'sent' THEN 850 END, '',"
            " CASE WHEN st = 'failed' THEN 'eSMS 99: error' ELSE '' END, '{}', dc, created_at"
            " FROM (SELECT id, idempotency_key, created_at,"
            "  CASE WHEN status IN ('failed', 'undelivered') THEN"
            "    CASE WHEN id % 10 = 0 THEN 'failed' ELSE 'sent' END"
            "   WHEN status = 'delivered' THEN"
            "    CASE WHEN id % 200 = 0 THEN 'sent' ELSE 'cancelled' END"
            "   ELSE 'scheduled' END AS st,"
            "  CASE WHEN status = 'failed' THEN 'immediate' ELSE 'window' END AS rs,"
            "  CASE WHEN status = 'failed' THEN 'not_on_zalo' ELSE 'window' END AS tr,"
            "  CASE WHEN status = 'delivered' AND id % 200 = 0 THEN 1 ELSE 0 END AS dc"
            "  FROM zns_notify_message WHERE status IN ('failed', 'undelivered', 'sent')"
            "  OR (status = 'delivered' AND id % 20 = 0))"
        )
    with con:
        con.execute("ANALYZE")  # what a long-lived database has; the planner reads it
    con.close()
    return time.perf_counter() - started


def views(rows: int) -> list[tuple[str, str]]:
    from django.urls import reverse

    from zns_notify.models import Message

    base = reverse("admin:zns_notify_message_changelist")
    newest = Message.objects.order_by("-created_at", "-pk").values_list(
        "pk", "phone", "order_ref", "msg_id", "idempotency_key", "created_at"
    )[500]
    pk, phone, order_ref, _, key, created = newest
    msg_id = (
        Message.objects.filter(pk__lte=pk)
        .exclude(msg_id="")
        .order_by("-pk")
        .values_list("msg_id", flat=True)[0]
    )
    old = Message.objects.order_by("pk").values_list("pk", flat=True)[rows // 3]
    week_from = (created - timedelta(days=37)).date().isoformat()
    week_to = (created - timedelta(days=30)).date().isoformat()
    return [
        ("changelist", base),
        ("changelist page 50", f"{base}?p=50"),
        ("status=failed", f"{base}?status__exact=failed"),
        ("status=delivered", f"{base}?status__exact=delivered"),
        ("event=order_cancelled", f"{base}?event__exact=order_cancelled"),
        ("template", f"{base}?zalo_template_id={TEMPLATES[-1]}"),
        ("error_category=config", f"{base}?error_category__exact=config"),
        ("policy=skipped", f"{base}?policy=skipped"),
        ("SMS fallback sent", f"{base}?fallback=sent"),
        ("SMS double cost", f"{base}?fallback=double_cost"),
        # No message has it: the ordered scan finds no page to stop at (the worst case).
        ("error_category=refresh (none)", f"{base}?error_category__exact=refresh"),
        ("date range (a week)", f"{base}?created_at__gte={week_from}&created_at__lt={week_to}"),
        (
            "a day (URL lookups)",
            f"{base}?created_at__year={created.year}&created_at__month={created.month}"
            f"&created_at__day={created.day}",
        ),
        ("search phone", f"{base}?q={phone}"),
        ("search order ref", f"{base}?q={order_ref}"),
        ("search msg_id", f"{base}?q={msg_id}"),
        ("search tracking_id", f"{base}?q={key}"),
        ("detail (recent)", reverse("admin:zns_notify_message_change", args=[pk])),
        ("detail (old)", reverse("admin:zns_notify_message_change", args=[old])),
    ]


def time_pages(client, pages: list[tuple[str, str, dict]], repeat: int, width: int = 30) -> bool:
    """Request each (name, url, headers) once (a warm-up, and a check that the page works),
    then ``repeat`` times; print median and p90 with PASS/FAIL against TARGET_MS."""
    ok = True
    print(
        f"{'view':{width}} {'median':>9} {'p90':>9}  "
        f"(ms, {repeat} runs, target {TARGET_MS:.0f} ms median)"
    )
    for name, url, headers in pages:
        response = client.get(url, **headers)
        if response.status_code != 200:
            print(f"{name:{width}} HTTP {response.status_code}: {url}")
            ok = False
            continue
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            client.get(url, **headers)
            times.append((time.perf_counter() - t0) * 1000)
        median = statistics.median(times)
        p90 = statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0]
        verdict = "PASS" if median < TARGET_MS else "FAIL"
        ok &= verdict == "PASS"
        print(f"{name:{width}} {median:9.1f} {p90:9.1f}  {verdict}")
    return ok


def logged_in_client():
    from django.test import Client

    client = Client()
    client.login(username="bench", password="bench")
    return client


def time_views(repeat: int, rows: int) -> bool:
    # A date filter typed in the URL is naive: Django reads it in the current time zone, as wanted.
    warnings.filterwarnings("ignore", message=".*received a naive datetime")
    pages = [(name, url, {}) for name, url in views(rows)]
    return time_pages(logged_in_client(), pages, repeat)


def arguments(description: str, default_db: Path) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--db", type=Path, default=default_db)
    parser.add_argument("--reseed", action="store_true", help="rebuild the seeded file")
    return parser.parse_args()


def open_seeded(args: argparse.Namespace, seed_db) -> tuple[Path, bool, float]:
    """Set Django up on the kept file, seeding it first (``seed_db(db, rows)``, returning
    seconds) when asked or when it is missing: (the file, whether it was seeded, seconds)."""
    db = args.db.resolve()
    marker = db.with_suffix(".rows")
    fresh = args.reseed or not db.exists() or not marker.exists()
    if fresh:
        db.parent.mkdir(parents=True, exist_ok=True)
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), marker):
            path.unlink(missing_ok=True)
    setup(db)
    seconds = 0.0
    if fresh:
        seconds = seed_db(db, args.rows)
        marker.write_text(str(args.rows))
    else:
        print(f"reusing {db} ({int(marker.read_text()):,} messages; --reseed to rebuild)")
    args.rows = int(marker.read_text())
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False  # no query log growing through a million-row rebuild
    return db, fresh, seconds


def main() -> int:
    args = arguments(__doc__, ROOT / "var" / "bench-admin.sqlite3")
    db, fresh, seconds = open_seeded(args, seed)
    if fresh:
        print(f"seeded {args.rows:,} messages in {seconds:.1f} s ({db})")
    return 0 if time_views(args.repeat, args.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
