"""Messages sent per second through real qcluster processes against the sandbox, beside a
plain ``requests.Session`` loop sending the same payloads, measured in one run (issue 5:
at 0 ms, zns_notify on PostgreSQL + Redis >= 50 % of the loop; at 50 ms, >= 200 msg/s).

    .venv/bin/python bench/throughput.py [--messages 2000] [--latency 0 50]
        [--profiles loop outbox orm redis] [--database-url postgres://…/db]
        [--redis-url redis://…/13] [--notify '{"SEND_CONCURRENCY": 16}']

The sandbox runs as its own process (``manage.py zns_sandbox``, receipts off); each
latency is set with its ``latency_ms`` knob. Profiles:

- **loop**: one thread, one keep-alive ``requests.Session``, POST /message/template for
  each payload in turn: what this machine can push through the sandbox without a queue;
- **outbox**: demo_shop on a SQLite file (WAL) with django-q2's ORM broker through
  ``zns_notify.broker.OutboxORM``, the demo's default: the committed rows are the queue;
- **orm**: the same with django-q2's plain ORM broker: one queue row per message, as the
  hot path writes one per event;
- **redis**: demo_shop on PostgreSQL (``--database-url``, emptied first) with django-q2's
  Redis broker (``--redis-url``; only this cluster's keys are deleted): one task per
  message, pushed as the hot path pushes them after each order's commit.

The demo's ``Q_CLUSTER`` is used unchanged (2 workers, save_limit 100...), with persistent
database connections (``conn_max_age=60`` in DATABASE_URL, ``--conn-max-age``): with
Django's default of 0, django-q2 reconnects before every task. **Measured
interval**: the messages are written as queued and their tasks enqueued while no cluster
runs; then one ``qcluster`` starts, and the interval runs from the first message's claim
to the last message's ``sent_at`` (both from the database). So it holds every claim,
gate, HTTP call, outcome write and queue round trip, but neither the enqueue (the shop's
side, bench/hot_path.py) nor the cluster's start-up; the wall time from starting the
cluster to the last send is printed beside it. The loop's interval is its first request
to its last answer.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANAGE_PY = ROOT / "manage.py"
PHONE = "84912345678"
TEMPLATE_ID = "100001"
PARAMS = {
    "customer_name": "Nguyễn Văn An",
    "order_code": "DH000001",
    "order_date": "22/11/2026",
    "total_amount": "1.250.000đ",
}
STARTUP_TIMEOUT = 60
#: A profile taking longer than this is reported as unfinished.
RUN_TIMEOUT = 300


# -- the parent: processes and figures ------------------------------------------------------


def main() -> int:
    args = parse_args()
    if args.child:
        return child(args)
    sys.path.insert(0, str(ROOT))
    from demo_shop.shop.processes import Child, wait_for_http
    from tests.demo.helpers import free_port

    results = []
    with tempfile.TemporaryDirectory(prefix="zns-throughput-") as workdir:
        workdir = args.workdir or workdir
        port = free_port()
        sandbox_url = f"http://127.0.0.1:{port}"
        log = open(Path(workdir) / "processes.log", "w")
        base_env = bench_env(sandbox_url, args.notify)
        sandbox = Child(
            "zns_sandbox",
            subprocess.Popen(
                [
                    sys.executable,
                    str(MANAGE_PY),
                    "zns_sandbox",
                    "--port",
                    str(port),
                    "--receipt-ratio",
                    "0",
                    "--webhook-ratio",
                    "0",
                    "--daily-quota",
                    "100000000",
                ],
                env=base_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            ),
        )
        try:
            wait_for_http(f"{sandbox_url}/_sandbox/tracking", sandbox, timeout=STARTUP_TIMEOUT)
            for latency in args.latency:
                post(f"{sandbox_url}/_sandbox/faults", {"latency_ms": latency})
                for profile in args.profiles:
                    tag = f"{profile}{latency}x"
                    if profile == "loop":
                        result = run_loop(sandbox_url, args.messages, tag)
                    else:
                        env = profile_env(profile, base_env, args, workdir)
                        if env is None:
                            continue
                        result = run_cluster(env, args.messages, tag, log)
                    result.update(profile=profile, latency_ms=latency)
                    results.append(result)
                    print(json.dumps(result), flush=True)
            tracking = get(f"{sandbox_url}/_sandbox/tracking")
        finally:
            sandbox.stop()
            log.close()
    report(results, tracking.get("duplicates"))
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--latency", type=int, nargs="+", default=[0, 50])
    parser.add_argument(
        "--profiles",
        nargs="+",
        default=["loop", "outbox", "orm", "redis"],
        choices=["loop", "outbox", "orm", "redis"],
    )
    parser.add_argument("--database-url", default=os.environ.get("ZNS_BENCH_DATABASE_URL", ""))
    parser.add_argument("--redis-url", default=os.environ.get("ZNS_BENCH_REDIS_URL", ""))
    parser.add_argument("--notify", default="", help="JSON merged into ZNS_NOTIFY")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="CONN_MAX_AGE of the processes' database connection (0: "
        "django-q2 reconnects before every task)",
    )
    parser.add_argument(
        "--workdir", default="", help="keep the SQLite files and processes.log here"
    )
    parser.add_argument("--child", choices=["prepare", "wait"], help=argparse.SUPPRESS)
    parser.add_argument("--tag", default="", help=argparse.SUPPRESS)
    return parser.parse_args()


def bench_env(sandbox_url: str, notify: str) -> dict[str, str]:
    leaking = ("ZNS_", "DJANGO_", "DEMO_", "DATABASE_URL", "REDIS_URL")
    env = {key: value for key, value in os.environ.items() if not key.startswith(leaking)}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.throughput_settings",
        PYTHONPATH=str(ROOT),
        ZNS_API_BASE_URL=sandbox_url,
        ZNS_OAUTH_BASE_URL=sandbox_url,
        ZNS_BENCH_NOTIFY=notify,
        PYTHONUNBUFFERED="1",
        # As in production: with DEBUG every query is also kept in memory.
        DEBUG="false",
    )
    return env


def profile_env(profile: str, base: dict, args, workdir: str) -> dict | None:
    env = dict(base)
    if profile in ("outbox", "orm"):
        path = Path(workdir) / f"{profile}-{time.monotonic_ns()}.sqlite3"
        env["DATABASE_URL"] = with_conn_max_age(f"sqlite:///{path}", args.conn_max_age)
        if profile == "orm":
            env["ZNS_BENCH_BROKER"] = "orm"
        return env
    if not (args.database_url and args.redis_url):
        print("redis: skipped (give --database-url and --redis-url)", file=sys.stderr)
        return None
    env.update(
        DATABASE_URL=with_conn_max_age(args.database_url, args.conn_max_age),
        REDIS_URL=args.redis_url,
    )
    return env


def with_conn_max_age(url: str, seconds: int) -> str:
    if "conn_max_age=" in url:
        return url
    return f"{url}{'&' if '?' in url else '?'}conn_max_age={seconds}"


def run_loop(sandbox_url: str, count: int, tag: str) -> dict:
    import requests

    token = post(f"{sandbox_url}/_sandbox/tokens/mint", {})["access_token"]
    session = requests.Session()
    session.headers["access_token"] = token
    errors = 0
    started = time.perf_counter()
    for i in range(count):
        body = {
            "phone": PHONE,
            "template_id": TEMPLATE_ID,
            "template_data": PARAMS,
            "tracking_id": tracking_id(tag, i),
        }
        errors += (
            session.post(f"{sandbox_url}/message/template", json=body, timeout=15).json()["error"]
            != 0
        )
    elapsed = time.perf_counter() - started
    return {
        "sent": count - errors,
        "seconds": round(elapsed, 3),
        "per_second": round((count - errors) / elapsed, 1),
    }


def run_cluster(env: dict, count: int, tag: str, log) -> dict:
    from demo_shop.shop.processes import Child

    manage = [sys.executable, str(Path(__file__).resolve())]
    subprocess.run(
        [*manage, "--child", "prepare", "--messages", str(count), "--tag", tag], env=env, check=True
    )
    started = time.time()
    cluster = Child(
        "qcluster",
        subprocess.Popen(
            [sys.executable, str(MANAGE_PY), "qcluster"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        ),
    )
    try:
        done = subprocess.run(
            [*manage, "--child", "wait", "--messages", str(count), "--tag", tag],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        cluster.stop()
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result.get("last_sent"):
        result["wall_seconds"] = round(result.pop("last_sent") - started, 3)
    return result


def report(results: list[dict], duplicates) -> None:
    print()
    print(
        f"{'latency':>7}  {'profile':<8} {'sent':>5} {'seconds':>8} {'msg/s':>7} "
        f"{'of loop':>8} {'wall s':>7}  other"
    )
    for latency in sorted({r["latency_ms"] for r in results}):
        rows = [r for r in results if r["latency_ms"] == latency]
        loop = next((r["per_second"] for r in rows if r["profile"] == "loop"), None)
        for r in rows:
            share = f"{r['per_second'] / loop:.0%}" if loop and r["per_second"] else "-"
            other = {k: v for k, v in r.get("statuses", {}).items() if k != "sent"}
            print(
                f"{latency:>5}ms  {r['profile']:<8} {r['sent']:>5} {r['seconds']:>8} "
                f"{r['per_second']:>7} {share:>8} {r.get('wall_seconds', '-'):>7}  "
                f"{other or ''}"
            )
    print(f"tracking_ids the sandbox accepted more than once: {duplicates}")


def tracking_id(tag: str, i: int) -> str:
    return f"zns{tag}{i:08d}"


def post(url: str, body: dict) -> dict:
    import requests

    response = requests.post(url, json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def get(url: str) -> dict:
    import requests

    response = requests.get(url, timeout=10)
    response.raise_for_status()
    return response.json()


# -- the children: inside Django ------------------------------------------------------------


def child(args) -> int:
    import django

    django.setup()
    if args.child == "prepare":
        prepare(args.messages, args.tag)
    else:
        print(json.dumps(wait_until_sent(args.messages, args.tag)))
    return 0


def prepare(count: int, tag: str) -> None:
    """A migrated, empty database with a connected account, the template and ``count``
    queued messages whose tasks are enqueued (none for the outbox broker)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from zns_notify.account.tokens import store_token_pair
    from zns_notify.events.outbox import push_send_task
    from zns_notify.events.relay import relay_active
    from zns_notify.models import Message, Template

    if connection.vendor == "postgresql":
        _create_database(settings.DATABASES["default"])
    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
        _clear_redis_queue(settings.Q_CLUSTER)
    pair = post(f"{settings.ZNS_NOTIFY['API_BASE_URL']}/_sandbox/tokens/mint", {})
    store_token_pair(access_token=pair["access_token"], refresh_token=pair["refresh_token"])
    template, _created = Template.objects.update_or_create(
        template_id=TEMPLATE_ID,
        defaults={"name": "Xác nhận đơn hàng", "status": Template.Status.ENABLE},
    )
    now = timezone.now()
    with transaction.atomic():
        Message.objects.bulk_create(
            Message(
                idempotency_key=tracking_id(tag, i),
                event="order_created",
                template=template,
                zalo_template_id=TEMPLATE_ID,
                order_type="shop.order",
                order_pk=str(i),
                order_ref=f"DH{i:06d}",
                phone=PHONE,
                params=PARAMS,
                status=Message.Status.QUEUED,
                created_at=now,
            )
            for i in range(count)
        )
    if not relay_active("default"):
        # One task per message, as the hot path enqueues one per order event.
        for i in range(count):
            push_send_task([tracking_id(tag, i)])


def _create_database(db: dict) -> None:
    import psycopg

    admin = psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
        ).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{db["NAME"]}"')


def _clear_redis_queue(q_cluster: dict) -> None:
    import redis

    client = redis.Redis.from_url(q_cluster["redis"])
    for key in client.scan_iter(f"django_q:{q_cluster['name']}:*"):
        client.delete(key)


def wait_until_sent(count: int, tag: str) -> dict:
    from django.db.models import Count, Max, Min

    from zns_notify.models import Message

    ours = Message.objects.filter(idempotency_key__startswith=f"zns{tag}")
    deadline = time.monotonic() + RUN_TIMEOUT
    final = ("sent", "delivered", "failed", "skipped", "cancelled", "undelivered")
    while time.monotonic() < deadline:
        if not ours.exclude(status__in=final).exists():
            break
        time.sleep(0.05)
    statuses = dict(ours.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    span = ours.filter(status="sent").aggregate(first=Min("claimed_at"), last=Max("sent_at"))
    sent = statuses.get("sent", 0)
    if not sent:
        return {"sent": 0, "seconds": None, "per_second": 0, "statuses": statuses}
    seconds = (span["last"] - span["first"]).total_seconds()
    return {
        "sent": sent,
        "seconds": round(seconds, 3),
        "per_second": round(sent / seconds, 1),
        "statuses": statuses,
        "last_sent": span["last"].timestamp(),
    }


if __name__ == "__main__":
    sys.exit(main())
