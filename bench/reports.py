"""The reports and quota pages at 1,000,000 messages (issue 6: under 300 ms median on SQLite
on this machine), and what keeping their aggregates current costs.

    .venv/bin/python bench/reports.py [--rows 1000000] [--repeat 15] [--reseed] [--db PATH]

A SQLite file (var/bench-reports.sqlite3 by default) is migrated with the demo's settings and
seeded in bulk with raw executemany: messages over 60 days, final except in the last two
days (as a live shop's log is: a message settles within hours), with a mix of statuses,
events, templates with prices, Zalo error codes and delivery latencies, a quota ledger
row per day, and SMS fallback steps (:data:`STEPS`: about one message in nine). The file
is kept; --reseed builds it again (needed after a migration).

Then, with the real code: the full rebuild (``rebuild_reports``, every day), a routine
refresh as the schedule runs it (``refresh_reports``: today and the days still in
progress), each timed; and the real admin views through Django's test Client, logged in as
a superuser, each requested once to warm up and then --repeat times: median and p90, PASS
below 300 ms median.
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.admin import (  # noqa: E402 (after the sys.path line above)
    EVENTS,
    arguments,
    logged_in_client,
    migrated,
    open_seeded,
    time_pages,
    weighted,
)

TARGET_MS = 300.0
DAYS = 60
#: Days at the end whose messages may still be in progress.
OPEN_DAYS = 2
TEMPLATES = [(f"{240000 + i}", 200 + 50 * (i % 5)) for i in range(15)]  # (id, price VND)
FINAL = [("delivered", 86), ("undelivered", 3), ("failed", 5), ("skipped", 4), ("cancelled", 2)]
RECENT = [
    ("delivered", 70),
    ("sent", 12),
    ("queued", 5),
    ("sending", 1),
    ("undelivered", 2),
    ("failed", 5),
    ("skipped", 4),
    ("cancelled", 1),
]
#: Failed messages: ((category, Zalo code), weight), each code in its own category
#: (zns_notify.zalo.errors). Undelivered ones have neither (Zalo accepted them).
FAILURES = [
    (("recipient", -118), 40),
    (("recipient", -139), 15),
    (("payload", -1121), 10),
    (("config", -115), 5),
    (("retry", -100), 15),
    (("ambiguous", None), 5),
    (("", None), 10),
]


#: The SMS fallback steps seeded beside the messages: (message statuses, share of them with a
#: step, [(step status, double cost), weight]). Failed and undelivered messages mostly fell
#: back to an SMS; a few delivered ones had a window step, cancelled by the receipt or
#: (a late receipt) sent and paid twice; a sent one still waiting has its step scheduled.
STEPS = [
    (("failed", "undelivered"), 0.8, [(("sent", 0), 90), (("failed", 0), 10)]),
    (("delivered",), 0.06, [(("cancelled", 0), 90), (("sent", 1), 10)]),
    (("sent",), 0.5, [(("scheduled", 0), 1)]),
]
STEP_INSERT = (
    "INSERT INTO zns_notify_fallbackstep (message_id, channel, reference, status, reason,"
    ' "trigger", due_at, attempts, claimed_at, sent_at, cancelled_at, text, provider,'
    " provider_message_id, encoding, segments, cost, error_kind, error_message, result,"
    " double_cost, created_at) VALUES (?, 'sms', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'esms', ?,"
    " 'GSM-7', ?, ?, '', ?, '{}', ?, ?)"
)


def step_row(rng, pk: int, status: str, created: datetime, fmt) -> tuple | None:
    found = next(
        ((share, choices) for statuses, share, choices in STEPS if status in statuses), None
    )
    if found is None:
        return None
    share, choices = found
    if rng.random() >= share:
        return None
    step_status, double = weighted(choices, rng, 1)[0]
    immediate = status == "failed"
    due = created + timedelta(seconds=5 if immediate else 300)
    sent = step_status == "sent"
    segments = rng.choice((1, 1, 1, 2)) if sent else 0
    return (
        pk,
        f"{pk:032x}-sms",
        step_status,
        "immediate" if immediate else "window",
        "not_on_zalo" if immediate else "window",
        fmt(due),
        0 if step_status in ("scheduled", "cancelled") else 1,
        fmt(due) if sent or step_status == "failed" else None,
        fmt(due) if sent else None,
        fmt(due) if step_status == "cancelled" else None,
        "Don hang BH0000000 da duoc giao" if sent else "",
        f"e{pk}" if sent else "",
        segments,
        850 * segments if sent else None,
        "eSMS 99: error" if step_status == "failed" else "",
        double,
        fmt(created),
    )


def seed(db: Path, rows: int) -> float:
    con = migrated(db)
    started = time.perf_counter()
    rng = random.Random(6)
    now = datetime.now(UTC).replace(microsecond=0)
    fmt = lambda d: d.isoformat(sep=" ") if d else None  # noqa: E731
    with con:
        con.executemany(
            "INSERT INTO zns_notify_template (template_id, name, status, tag, zalo_tag, params,"
            " buttons, quality, price, preview_url, reason, sync_note) VALUES (?, ?, 'ENABLE',"
            " 'TRANSACTION', 'TRANSACTION', '[]', '[]', 'HIGH', ?, '', '', '')",
            [(t, f"Mẫu {t}", price) for t, price in TEMPLATES],
        )
        template_pk = dict(con.execute("SELECT template_id, id FROM zns_notify_template"))
        con.execute(
            "INSERT INTO zns_notify_zaloaccount (oa_id, name, access_token, refresh_token,"
            " is_active, needs_reconnect, reconnect_reason, refresh_owner, created_at, updated_at)"
            " VALUES ('2718281828459045235', 'Cửa hàng bench', 'a', 'r', 1, 0, '', '', ?, ?)",
            (fmt(now), fmt(now)),
        )
        con.executemany(
            "INSERT INTO zns_notify_zaloquota (account_id, day, daily_quota, remaining_quota,"
            " daily_promotion_quota, remaining_promotion_quota, updated_at) VALUES (1, ?, 30000,"
            " ?, 5000, ?, ?)",
            [
                (
                    (now - timedelta(days=d)).date().isoformat(),
                    rng.randrange(0, 14000),
                    rng.randrange(0, 5000),
                    fmt(now),
                )
                for d in range(40)
            ],
        )

    span = DAYS * 86400
    open_since = span - OPEN_DAYS * 86400
    offsets = sorted(rng.random() * span for _ in range(rows))
    params = json.dumps(
        {"customer_name": "Nguyễn Thị Lan", "order_code": "BH0000000"}, ensure_ascii=False
    )
    insert = (
        "INSERT INTO zns_notify_message (id, idempotency_key, event, binding_id, template_id,"
        " zalo_template_id, order_type, order_pk, order_ref, phone, params, development_mode,"
        " status, msg_id, error_code, error_category, error_message, attempts, ambiguous_sends,"
        " next_attempt_at, created_at, claimed_at, relayed_at, sent_at, delivered_at)"
        " VALUES (?, ?, ?, NULL, ?, ?, 'shop.order', ?, ?, ?, ?, 0, ?, ?, ?, ?, '', ?, 0, ?, ?,"
        " ?, NULL, ?, ?)"
    )
    chunk = 50_000
    for base in range(0, rows, chunk):
        n = min(chunk, rows - base)
        events = weighted(EVENTS, rng, n)
        batch = []
        for i in range(n):
            pk, offset = base + i + 1, offsets[base + i]
            created = now - timedelta(seconds=span - offset)
            status = weighted(RECENT if offset >= open_since else FINAL, rng, 1)[0]
            template = TEMPLATES[int(rng.paretovariate(1.2)) % len(TEMPLATES)][0]
            accepted = status in ("sent", "delivered", "undelivered")
            category, code = "", None
            if status == "failed":
                category, code = weighted(FAILURES, rng, 1)[0]
            elif status in ("skipped", "cancelled"):
                category = "policy"
            sent = created + timedelta(seconds=1 + rng.random() * 3) if accepted else None
            # Most receipts come within seconds, a tail within minutes to hours.
            latency = min(rng.lognormvariate(2.5, 1.3), 40_000)
            delivered = sent + timedelta(seconds=latency) if status == "delivered" else None
            order = (pk * 7919) % (rows // 3 + 1)
            batch.append(
                (
                    pk,
                    f"{pk:032x}",
                    events[i],
                    template_pk[template],
                    template,
                    str(order),
                    f"BH{order:07d}",
                    f"849{rng.randrange(10_000_000, 99_999_999)}",
                    params,
                    status,
                    f"{pk:016x}a1b2c3d4" if accepted else "",
                    code,
                    category,
                    1 if accepted or status == "failed" else 0,
                    fmt(created) if status == "queued" else None,
                    fmt(created),
                    fmt(sent),
                    fmt(sent),
                    fmt(delivered),
                )
            )
        steps = [
            step
            for step in (
                step_row(
                    rng, row[0], row[9], now - timedelta(seconds=span - offsets[row[0] - 1]), fmt
                )
                for row in batch
            )
            if step is not None
        ]
        with con:
            con.executemany(insert, batch)
            con.executemany(STEP_INSERT, steps)
    with con:
        con.execute("ANALYZE")
    con.close()
    return time.perf_counter() - started


def count_steps(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM zns_notify_fallbackstep").fetchone()[0]
    finally:
        con.close()


def timed(label: str, fn, repeat: int = 1) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    print(f"{label:44} {median * 1000:9.0f} ms  (median of {repeat}; {result})")
    return median


def time_rollup(repeat: int) -> None:
    from zns_notify.reports.rollup import (
        days_to_refresh,
        last_refreshed,
        rebuild_reports,
        refresh_reports,
    )

    timed("full rebuild (zns_rebuild_reports)", lambda: f"{len(rebuild_reports())} days")
    timed(
        "routine refresh (the 5-minute schedule)",
        lambda: f"{refresh_reports()} days",
        repeat=max(repeat // 3, 3),
    )
    from django.utils import timezone as tz

    print(f"  days a routine refresh recomputes: {days_to_refresh(tz.now(), last_refreshed())}")


def views() -> list[tuple[str, str]]:
    from datetime import timedelta as td

    from zns_notify.lib.clock import local_day

    base = "/admin/zns_notify/reportday/"
    today = local_day()
    month = f"start={(today - td(days=29)).isoformat()}&end={today.isoformat()}"
    return [
        ("report: default (7 days)", base),
        ("report: 30 days", f"{base}?{month}"),
        ("report: 60 days", f"{base}?start={(today - td(days=59)).isoformat()}"),
        ("report: 30 days, one template", f"{base}?{month}&template={TEMPLATES[3][0]}"),
        (
            "report: 30 days, template + event",
            f"{base}?{month}&template={TEMPLATES[0][0]}&event=order_paid",
        ),
        ("report: CSV, 30 days", f"{base}?{month}&format=csv"),
        ("report: Vietnamese, 30 days", f"{base}?{month}&lang=vi"),
        ("quota page", "/admin/zns_notify/zaloaccount/1/quota/"),
    ]


def time_views(repeat: int) -> bool:
    pages = []
    for name, url in views():
        language = "vi" if url.endswith("lang=vi") else "en"
        pages.append((name, url.removesuffix("&lang=vi"), {"HTTP_ACCEPT_LANGUAGE": language}))
    return time_pages(logged_in_client(), pages, repeat, width=44)


def main() -> int:
    args = arguments(__doc__, ROOT / "var" / "bench-reports.sqlite3")
    db, fresh, seconds = open_seeded(args, seed)
    if fresh:
        print(f"seeded {args.rows:,} messages over {DAYS} days in {seconds:.1f} s ({db})")
        print(f"  with {count_steps(db):,} SMS fallback steps")
    time_rollup(args.repeat)
    return 0 if time_views(args.repeat) else 1


if __name__ == "__main__":
    sys.exit(main())
