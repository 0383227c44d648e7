"""Zalo's delivery receipts through a real server: gunicorn on PostgreSQL, driven by wrk,
beside a bare Django view doing one indexed UPDATE on the same server (issue 15, part 4).

    .venv/bin/python bench/receipts_server.py [--duration 10] [--rounds 2] [--workers 3]
        [--flood-duration 60] [--flood-connections 256] [--conn-max-age 60] [--quick]
        [--code OTHER_CHECKOUT] [--database-url postgres://postgres@127.0.0.1:5432/NAME]

Needs ``wrk`` (Debian/Ubuntu: ``apt-get install -y wrk``), gunicorn (the ``bench`` extra)
and a PostgreSQL server whose database NAME (default zns_bench_receipts; also from
ZNS_BENCH_DATABASE_URL) it drops and creates. The server is gunicorn with ``--workers`` sync
workers serving the demo shop's settings with persistent connections
(bench/receipts_settings.py; ``--conn-max-age 0`` for a connection per request) and
bench/receipts_urls.py, which adds the bare view. ``--code`` serves another checkout's
zns_notify and demo shop (e.g. the code before a change) with this checkout's bench.

Every request is a different message: the messages are seeded as sent, each with its own
msg_id, and every receipt is built and signed as Zalo does (zns-api.md §7) before wrk
starts; bench/receipts.lua posts each once and counts the answers by status.

1. **Steady**: ``--rounds`` rounds of the bare view, the receipts and a rejected (unsigned)
   webhook, ``--duration`` s each with ``--connections`` connections, alternating; then the
   bare view and the receipts again while a send burst runs (a thread recording Zalo's
   answers for sending messages, as a worker does, into the same database). Printed:
   requests/s, p50/p99, and receipts/s as a share of the bare view's (target >= 50%).
2. **Flood**: ``--flood-connections`` connections for ``--flood-duration`` s, more than the
   server can take. Then the accounting: every posted receipt is either applied in the
   database or was answered with something that makes Zalo send it again (not 200, no
   answer, or an answer after Zalo's 2 s); those are then posted again, as Zalo's retry
   would, and every posted receipt must end applied exactly once.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "receipts.lua"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/zns_bench_receipts"
WEBHOOK, BARE = "/zns/webhook/", "/bench/bare-update/"
#: Zalo waits this long for an answer, then counts the delivery failed and retries it.
ZALO_ANSWER_WINDOW_US = 2_000_000  # an answer later than this is retried
RESULT = re.compile(r"^RESULT (\{.*\})$", re.M)


def code_path(code: Path) -> Path:
    """A directory to import from: ``code``'s zns_notify and demo shop, this checkout's
    bench (so that an older checkout is served with the same bench settings)."""
    path = Path(tempfile.mkdtemp(prefix="zns-bench-code-"))
    for name in ("zns_notify", "demo_shop"):
        (path / name).symlink_to(code / name)
    (path / "bench").symlink_to(ROOT / "bench")
    return path


def recreate_database(url: str) -> None:
    import psycopg  # the postgres extra; imported here as only this bench needs it
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def seed(count: int, status: str, prefix: str, tag: str) -> None:
    """``count`` messages in ``status``, msg_id ``prefix`` + 19 hex digits of their number
    ("" when ``prefix`` is empty), copied from one prototype row in one INSERT ... SELECT."""
    from django.db import connection  # Django is set up by main(), after the path is chosen

    from zns_notify.models import Message, Template

    template, _ = Template.objects.get_or_create(
        template_id="100001",
        defaults={"name": "Xác nhận đơn hàng", "status": "ENABLE", "tag": "TRANSACTION"},
    )
    proto = Message.objects.create(
        idempotency_key=f"proto-{prefix}-{status}",
        event="order_paid",
        template=template,
        zalo_template_id="100001",
        order_type="shop.order",
        order_pk="0",
        order_ref="BH0",
        phone="84912345678",
        status=status,
        attempts=1,
    )
    replaced = {
        "idempotency_key": f"'zns-{tag}-' || lpad(g::text, 12, '0')",
        "order_pk": "g::text",
        "order_ref": "'BH' || g::text",
        "msg_id": f"'{prefix}' || lpad(to_hex(g), 19, '0')" if prefix else "''",
        "sent_at": "now()" if status == "sent" else "NULL",
    }
    columns = [f.column for f in Message._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(Message._meta.db_table)
    select = ", ".join(replaced.get(c, f't."{c}"') for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in columns)}) "
            f"SELECT {select} FROM {table} t, generate_series(1, %s) g WHERE t.id = %s",
            [count, proto.pk],
        )
        cursor.execute(f"ANALYZE {table}")
    proto.delete()


def msg_id(n: int) -> str:
    return "a" + format(n, "019x")


def signed(n: int, app_id: str, secret: str, sign: bool = True) -> str:
    """One line of wrk's data file: signature, tab, a receipt for message ``n``."""
    timestamp = str(int(time.time() * 1000))
    body = json.dumps(
        {
            "app_id": app_id,
            "event_name": "user_received_message",
            "sender": {"id": "2718281828459045235"},
            "recipient": {"id": "84912345678"},
            "message": {"delivery_time": timestamp, "msg_id": msg_id(n), "tracking_id": ""},
            "timestamp": timestamp,
        },
        separators=(",", ":"),
    )
    if not sign:
        return "\t" + body
    digest = hashlib.sha256((app_id + body + timestamp + secret).encode()).hexdigest()
    return f"mac={digest}\t{body}"


class Pool:
    """Hands out message numbers: no two requests of the whole bench share a message."""

    def __init__(self) -> None:
        self.next = 1

    def take(self, count: int) -> range:
        taken = range(self.next, self.next + count)
        self.next += count
        return taken


class Server:
    def __init__(self, path: Path, workers: int, env: dict[str, str]) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "demo_shop.wsgi:application",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{self.port}",
            "--log-level=warning",
            "--timeout=60",
            "--backlog=2048",
        ]
        self.process = subprocess.Popen(command, cwd=path, env=env, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", WEBHOOK)
                connection.getresponse().read()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    sys.exit("gunicorn did not start")
                time.sleep(0.3)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Bench:
    def __init__(
        self, args, servers: dict[str, Server], app_id: str, secret: str, workdir: Path
    ) -> None:
        self.args, self.servers, self.workdir = args, servers, workdir
        self.server = servers["new"]
        self.app_id, self.secret = app_id, secret
        self.pool = Pool()

    def prepare(self, numbers: range, sign: bool = True) -> Path:
        path = self.workdir / f"requests-{numbers.start}.tsv"
        with path.open("w") as out:
            for n in numbers:
                out.write(signed(n, self.app_id, self.secret, sign) + "\n")
        return path

    def wrk(
        self,
        target: str,
        numbers: range,
        duration: float,
        connections: int,
        *,
        sign=True,
        server: Server | None = None,
    ):
        data = self.prepare(numbers, sign)
        threads = min(self.args.wrk_threads, connections)
        server = server or self.server
        env = {
            **os.environ,
            "ZNS_BENCH_REQUESTS": str(data),
            "ZNS_BENCH_THREADS": str(threads),
            "ZNS_BENCH_PATH": target,
        }
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{max(connections, threads)}",
            f"-d{max(1, round(duration))}s",
            f"--timeout={self.args.wrk_timeout}s",
            "-s",
            str(LUA),
            f"http://127.0.0.1:{server.port}{target}",
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        found = RESULT.search(done.stdout)
        if done.returncode or not found:
            sys.exit(f"wrk failed:\n{done.stdout}\n{done.stderr}")
        result = json.loads(found.group(1))
        result["rate"] = result["answered"] / (result["duration_us"] / 1e6)
        result["threads"] = threads
        data.unlink()
        if result["wrapped"]:
            print(f"  WARNING: wrk ran out of prepared requests ({result['wrapped']} repeats)")
        return result

    def side(self, name: str, connections: int) -> dict:
        # A rejection is cheaper than a receipt: room for twice as many.
        count = int(self.args.max_rate * self.args.duration) * (2 if "rejected" in name else 1)
        target, sign, server = {
            "bare view": (BARE, False, "new"),
            "receipts": (WEBHOOK, True, "new"),
            "receipts (compared)": (WEBHOOK, True, "compared"),
            "rejected (unsigned)": (WEBHOOK, False, "new"),
        }[name]
        result = self.wrk(
            target,
            self.pool.take(count),
            self.args.duration,
            connections,
            sign=sign,
            server=self.servers[server],
        )
        expected = "200" if name != "rejected (unsigned)" else "400"
        others = {k: v for k, v in result["statuses"].items() if k != expected}
        print(
            f"  {name:<20} {result['rate']:8,.0f}/s   p50 {result['p50_us'] / 1e3:6.2f} ms"
            f"   p99 {result['p99_us'] / 1e3:7.2f} ms"
            + (f"   other answers {others}" if others else "")
        )
        return result


def send_burst(numbers: range, stop: threading.Event, counter: list[int]) -> None:
    """A worker's database side of a send burst: each sending message recorded as accepted
    by Zalo (zns_notify.sending.record.record_sent), one after another, until ``stop``."""
    from django.db import connection  # Django is set up by main(), after the path is chosen

    from zns_notify.models import Message
    from zns_notify.sending.record import record_sent
    from zns_notify.zalo.client import SendResult

    try:
        start = numbers.start
        while not stop.is_set() and start < numbers.stop:
            keys = [f"zns-s-{n:012d}" for n in range(start, min(start + 200, numbers.stop))]
            start += len(keys)
            for message in Message.objects.filter(idempotency_key__in=keys).order_by("pk"):
                if stop.is_set():
                    break
                number = int(message.idempotency_key.rsplit("-", 1)[1])
                result = SendResult(
                    msg_id="b" + format(number, "019x"),
                    sent_time_ms=None,
                    daily_quota=None,
                    remaining_quota=None,
                )
                if record_sent(message, result):
                    counter[0] += 1
    finally:
        connection.close()


def steady(bench: Bench, burst_pool: range) -> dict[str, list[dict]]:
    args = bench.args
    print(
        f"== steady: {args.rounds} round(s) of {args.duration:g} s a side, "
        f"{args.connections} connections, alternating"
    )
    sides = ["bare view", "receipts", "rejected (unsigned)"]
    if "compared" in bench.servers:
        sides.insert(2, "receipts (compared)")
    runs: dict[str, list[dict]] = {side: [] for side in sides}
    for turn in range(args.rounds):
        for side in sides if turn % 2 == 0 else sides[-2::-1] + sides[-1:]:
            runs[side].append(bench.side(side, args.connections))
    report(runs, "steady")
    print("== idle: one connection at a time (a receipt's own latency)")
    idle: dict[str, list[dict]] = {side: [] for side in sides[:-1]}
    for side in sides[:-1]:
        idle[side].append(bench.side(side, 1))
    report(idle, "idle")
    if args.no_burst:
        return runs
    print(f"== the same while a send burst records Zalo's answers ({args.duration:g} s a side)")
    stop, counter = threading.Event(), [0]
    burst = threading.Thread(target=send_burst, args=(burst_pool, stop, counter), daemon=True)
    started = time.monotonic()
    burst.start()
    busy: dict[str, list[dict]] = {"bare view": [], "receipts": []}
    for side in ("bare view", "receipts", "receipts", "bare view")[: 2 * args.rounds]:
        busy[side].append(bench.side(side, args.connections))
    stop.set()
    burst.join()
    elapsed = time.monotonic() - started
    print(f"  send burst: {counter[0]:,} sends recorded ({counter[0] / elapsed:,.0f}/s)")
    report(busy, "during a send burst")
    return runs


def report(runs: dict[str, list[dict]], label: str) -> None:
    rate = {side: statistics.median(r["rate"] for r in results) for side, results in runs.items()}
    p50 = statistics.median(r["p50_us"] for r in runs["receipts"]) / 1e3
    p99 = statistics.median(r["p99_us"] for r in runs["receipts"]) / 1e3
    share = rate["receipts"] / rate["bare view"]
    if "receipts (compared)" in runs:
        compared = runs["receipts (compared)"]
        old = statistics.median(r["rate"] for r in compared)
        print(
            f"  receipts {label}, --compare checkout: {old:,.0f}/s = "
            f"{old / rate['bare view']:.0%} of the bare view's; p50 "
            f"{statistics.median(r['p50_us'] for r in compared) / 1e3:.2f} ms, p99 "
            f"{statistics.median(r['p99_us'] for r in compared) / 1e3:.2f} ms"
        )
    print(
        f"  receipts {label}: {rate['receipts']:,.0f}/s = {share:.0%} of the bare view's "
        f"{rate['bare view']:,.0f}/s (target >= 50%: {'met' if share >= 0.5 else 'NOT met'}); "
        f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"
    )


def flood(bench: Bench) -> bool:
    """More than the server can take; then the accounting and Zalo's retry."""
    from django.db.models import Count  # Django is set up by main()

    from zns_notify.models import Message, MessageEvent, WebhookEvent

    args = bench.args
    count = int(args.max_rate * args.flood_duration)
    numbers = bench.pool.take(count)
    print(
        f"== flood: {args.flood_connections} connections for {args.flood_duration:g} s "
        f"(wrk timeout {args.wrk_timeout} s)"
    )
    result = bench.wrk(WEBHOOK, numbers, args.flood_duration, args.flood_connections)
    # Requests still in gunicorn's backlog when wrk hung up are processed all the same.
    time.sleep(args.settle)
    threads = result["threads"]
    posted = sorted(
        numbers[i]
        for t, sent in enumerate(result["sent_by_thread"])
        for i in range(t, t + threads * min(sent, len(numbers)), threads)
        if i < len(numbers)
    )
    ids = [msg_id(n) for n in posted]
    statuses = result["statuses"]
    answered = sum(statuses.values())
    ok = statuses.get("200", 0)
    unanswered = result["sent"] - answered
    delivered = set()
    for start in range(0, len(ids), 5000):
        delivered.update(
            Message.objects.filter(
                msg_id__in=ids[start : start + 5000], status=Message.Status.DELIVERED
            ).values_list("msg_id", flat=True)
        )
    print(
        f"  offered {result['sent']:,} receipts in {result['duration_us'] / 1e6:.1f} s "
        f"({result['sent'] / (result['duration_us'] / 1e6):,.0f}/s), answered {answered:,} "
        f"({result['rate']:,.0f}/s); p50 {result['p50_us'] / 1e3:.0f} ms, "
        f"p99 {result['p99_us'] / 1e3:.0f} ms, max {result['max_us'] / 1e3:.0f} ms"
    )
    print(
        f"  answers by status: {dict(sorted(statuses.items()))}; no answer: {unanswered:,} "
        f"(wrk errors {result['errors']})"
    )
    print(
        f"  applied in the database: {len(delivered):,} of {len(ids):,} posted; "
        f"200 answers {ok:,}, of which said 'applied' {result['applied_answers']:,}"
    )
    retry_made = answered - ok + unanswered
    missing = len(ids) - len(delivered)
    sound = ok == result["applied_answers"] and ok <= len(delivered) and missing <= retry_made
    print(
        f"  not applied {missing:,} <= answered so that Zalo retries "
        f"({answered - ok:,} not 200 + {unanswered:,} no answer = {retry_made:,}): "
        f"{'yes' if sound else 'NO'}"
    )
    # Zalo's retry: every posted receipt not applied, posted again (one at a time per thread).
    retry = [n for n in posted if msg_id(n) not in delivered]
    retried = retry_answers(bench, retry)
    if retry:
        print(f"  Zalo's retry of the {len(retry):,} not applied: answers {retried}")
    applied = _count_in(WebhookEvent, ids)
    final = sum(
        Message.objects.filter(
            status=Message.Status.DELIVERED, msg_id__in=ids[s : s + 5000]
        ).count()
        for s in range(0, len(ids), 5000)
    )
    twice = (
        MessageEvent.objects.filter(kind="receipt")
        .values("message_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    lost = len(ids) - final
    print(
        f"  after the retry: {final:,} of {len(ids):,} posted receipts applied "
        f"({applied:,} applied webhook events), {lost} lost, {twice} messages with two "
        "receipt entries"
    )
    return sound and lost == 0 and twice == 0 and applied == len(ids)


def _count_in(model, ids: list[str]) -> int:
    return sum(
        model.objects.filter(
            event_name="user_received_message", outcome="applied", subject__in=ids[s : s + 5000]
        ).count()
        for s in range(0, len(ids), 5000)
    )


def retry_answers(bench: Bench, numbers: list[int]) -> dict[int, int]:
    answers: dict[int, int] = {}
    lock = threading.Lock()

    def post(n: int) -> None:
        body_line = signed(n, bench.app_id, bench.secret)
        signature, body = body_line.split("\t", 1)
        connection = http.client.HTTPConnection("127.0.0.1", bench.server.port, timeout=30)
        connection.request(
            "POST",
            WEBHOOK,
            body=body.encode(),
            headers={"Content-Type": "application/json", "X-ZEvent-Signature": signature},
        )
        status = connection.getresponse().status
        connection.close()
        with lock:
            answers[status] = answers.get(status, 0) + 1

    with ThreadPoolExecutor(4) as executor:
        list(executor.map(post, numbers))
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds a steady side")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--flood-duration", type=float, default=60)
    parser.add_argument("--flood-connections", type=int, default=256)
    parser.add_argument("--no-flood", action="store_true")
    parser.add_argument("--no-burst", action="store_true")
    parser.add_argument("--conn-max-age", type=int, default=60)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--wrk-timeout", type=int, default=10)
    parser.add_argument(
        "--max-rate", type=float, default=2500, help="requests a second prepared per run"
    )
    parser.add_argument("--settle", type=float, default=3, help="seconds after the flood")
    parser.add_argument("--quick", action="store_true", help="3 s sides, one round, 10 s flood")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout to serve")
    parser.add_argument(
        "--compare",
        type=Path,
        help="another checkout (e.g. the code before a change), served beside on the same "
        "database: its receipts measured in the steady and idle runs, interleaved",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("ZNS_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    args = parser.parse_args()
    if args.quick:
        args.duration, args.rounds, args.flood_duration = 3, 1, 10
    if shutil.which("wrk") is None:
        sys.exit(
            "wrk is missing: `apt-get install -y wrk` (Debian/Ubuntu), or build it from "
            "https://github.com/wg/wrk"
        )
    path = code_path(args.code.resolve())
    env = {
        **os.environ,
        "PYTHONPATH": str(path),
        "DJANGO_SETTINGS_MODULE": "bench.receipts_settings",
        "ZNS_BENCH_DATABASE_URL": args.database_url,
        "ZNS_BENCH_CONN_MAX_AGE": str(args.conn_max_age),
    }
    os.environ.update(env)
    sys.path.insert(0, str(path))
    recreate_database(args.database_url)

    import django  # after the path: the served checkout's code, set up as the server's

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from zns_notify.conf import app_settings

    call_command("migrate", verbosity=0)
    steady_count = int(args.max_rate * args.duration) * (5 * args.rounds + 2 * args.rounds + 4)
    flood_count = 0 if args.no_flood else int(args.max_rate * args.flood_duration)
    started = time.perf_counter()
    seed(steady_count + flood_count, "sent", "a", "a")
    burst_count = 0 if args.no_burst else 3000 * round(args.duration) * 2 * args.rounds
    if burst_count:
        seed(burst_count, "sending", "", "s")
    connection.close()
    print(
        f"PostgreSQL {args.database_url.rsplit('/', 1)[1]}: {steady_count + flood_count:,} "
        f"sent + {burst_count:,} sending messages seeded in {time.perf_counter() - started:.1f} s;"
        f" gunicorn {args.workers} sync workers, CONN_MAX_AGE={args.conn_max_age}, "
        f"code {args.code.resolve()}"
    )
    with tempfile.TemporaryDirectory(prefix="zns-bench-wrk-") as workdir:
        servers = {"new": Server(path, args.workers, env)}
        if args.compare:
            compared = code_path(args.compare.resolve())
            servers["compared"] = Server(
                compared, args.workers, {**env, "PYTHONPATH": str(compared)}
            )
        try:
            bench = Bench(
                args,
                servers,
                app_settings.APP_ID,
                app_settings.WEBHOOK_SECRET_KEYS[0],
                Path(workdir),
            )
            bench.wrk(
                BARE, bench.pool.take(int(args.max_rate * 2)), 2, args.connections, sign=False
            )  # warm-up: workers started, connections open
            if args.compare:
                bench.wrk(
                    BARE,
                    bench.pool.take(int(args.max_rate * 2)),
                    2,
                    args.connections,
                    sign=False,
                    server=servers["compared"],
                )
            steady(bench, range(1, burst_count + 1))
            sound = True if args.no_flood else flood(bench)
        finally:
            for server in servers.values():
                server.stop()
    shutil.rmtree(path)
    if args.compare:
        shutil.rmtree(compared)
    if not sound:
        sys.exit("receipts were lost or applied twice")


if __name__ == "__main__":
    main()
