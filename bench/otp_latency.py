"""One-time codes, request → on the wire (issue 17): how long after a shop's web process
calls ``zns_notify.otp.request_code`` the code's message reaches Zalo (the sandbox), with
no backlog and with 10,000 order messages queued ahead of it, on both brokers.

    .venv/bin/python bench/otp_latency.py [--profile sqlite-orm postgres-redis]
        [--backlog 10000] [--codes 40] [--latency 50]
        [--database-url postgres://…/db] [--redis-url redis://…/14]

Profiles, each on the demo shop's settings (``bench/throughput_settings.py``):

- **sqlite-orm**: a SQLite file (WAL) with django-q2's ORM broker through
  ``zns_notify.broker.OutboxORM``, the demo's default;
- **postgres-redis**: a fresh PostgreSQL database on the server of ``--database-url``
  (default ``ZNS_TEST_DATABASE_URL``; named after its database, dropped afterwards) with
  django-q2's Redis broker through ``zns_notify.broker.Redis`` on ``--redis-url`` (default
  ``ZNS_TEST_REDIS_URL``; only this run's cluster keys are touched). Skipped without both.

For each profile the sandbox (``manage.py zns_sandbox``, its own process, answering Zalo's
paths after ``--latency`` ms, receipts off) and the demo's data are set up, then two cases
run, each with ``--clusters`` qclusters of the demo's ``Q_CLUSTER`` (2 workers each):

1. **no backlog**: a few order messages first, to see the clusters sending;
2. **backlog**: ``--backlog`` orders written while no cluster runs, each through
   ``zns_notify.notify("order_created", order)`` as the shop's event path writes them (the
   message row; on Redis also its task, pushed after the commit); the clusters started,
   the codes are requested once they are sending that backlog.

Then a child process set up like a web process requests ``--codes`` codes, for distinct
phones, ``--spacing`` seconds apart, and waits until each code's message is final. The
latency of a code runs from just before the ``request_code`` call to the moment the
sandbox read the request of its message (``/_sandbox/tracking``'s ``first_seen`` for its
tracking_id, the message's idempotency key), both on this machine's clock. Printed per
case: p50/p95/p99/max, the ``request_code`` call's own duration, the order messages still
queued at the requests (the proof the backlog was there) and when the last code arrived,
each code's count at the sandbox, the ratio with/without backlog and the verdict against
the 1 s p95 of issue 17. The SMS fallback is off: this measures the ZNS path. The codes
go out with the sandbox's authentication template (100009, found by its parameter typed
OTP, as a shop's synced one is); ``--notify '{"OTP_SEND_FROM_REQUEST": false}'`` measures
the workers' lane alone.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
MANAGE_PY = ROOT / "manage.py"
PROFILES = ("sqlite-orm", "postgres-redis")
#: issue 17: an OTP on the wire within 1 s (p95), even behind 10,000 order messages.
TARGET_P95 = 1.0
STARTUP_TIMEOUT = 60


@dataclass
class Case:
    """What one case measured; times in seconds."""

    profile: str
    backlog: int
    codes: int
    #: Request start → on the wire, per code (None: never arrived).
    latencies: list[float | None] = field(default_factory=list)
    #: The request_code call itself, per code.
    calls: list[float] = field(default_factory=list)
    #: Where each code's time went, when the request's own send (the priority lane) put
    #: it on the wire: {"request": [...], "lane": [...]}, each [seconds, waiting at
    #: BEGIN, in other SQL] (bench/otp_requests.py's StatementClock); None otherwise.
    phases: list[dict[str, list[float]] | None] = field(default_factory=list)
    #: Order messages queued (not yet claimed) just before each request.
    queued_at_requests: list[int] = field(default_factory=list)
    queued_at_last_arrival: int | None = None
    #: Tasks in the Redis broker's queue before the first request (postgres-redis).
    redis_tasks: int | None = None
    #: Accepted sends per code at the sandbox (each should be 1).
    sandbox_counts: list[int] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def arrived(self) -> list[float]:
        return [seconds for seconds in self.latencies if seconds is not None]

    def percentile(self, share: float) -> float | None:
        """Nearest rank over the codes that arrived; None when none did."""
        return percentile(self.arrived, share)


def percentile(values: list[float], share: float) -> float | None:
    """Nearest rank; None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


# -- the parent: processes and figures ------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        from bench.otp_requests import run_child  # inside Django: the child's own module

        return run_child(args)
    cases = run(args)
    print(report(cases))
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", nargs="+", default=list(PROFILES), choices=PROFILES)
    parser.add_argument("--backlog", "--orders", type=int, default=10_000, dest="backlog")
    parser.add_argument("--codes", type=int, default=40)
    parser.add_argument(
        "--spacing", type=float, nargs=2, default=[0.15, 0.25], metavar=("MIN", "MAX")
    )
    parser.add_argument("--latency", type=int, default=50, help="the sandbox's answer, ms")
    parser.add_argument("--clusters", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300, help="per case, seconds")
    parser.add_argument("--database-url", default=os.environ.get("ZNS_TEST_DATABASE_URL", ""))
    parser.add_argument("--redis-url", default=os.environ.get("ZNS_TEST_REDIS_URL", ""))
    parser.add_argument("--notify", default="", help="JSON merged into ZNS_NOTIFY")
    parser.add_argument("--workdir", default="", help="keep processes.log and SQLite here")
    parser.add_argument("--child", choices=["backlog", "codes"], help=argparse.SUPPRESS)
    parser.add_argument("--case", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> list[Case]:
    """Every case of every profile asked for; a profile without its servers is skipped."""
    sys.path.insert(0, str(ROOT))
    from demo_shop.shop.processes import ManagePy, wait_for_http
    from tests.demo.helpers import free_port

    cases: list[Case] = []
    with tempfile.TemporaryDirectory(prefix="zns-otp-latency-") as scratch:
        workdir = Path(args.workdir or scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        sandbox_url = f"http://127.0.0.1:{port}"
        base = bench_env(workdir, sandbox_url, args.notify)
        log_path = workdir / "processes.log"
        with open(log_path, "w") as log:
            sandbox_side = ManagePy(MANAGE_PY, base, output=log)
            try:
                sandbox = sandbox_side.start(
                    "zns_sandbox",
                    *("zns_sandbox", "--port", str(port), "--webhook-url", "none"),
                    *("--receipt-ratio", "0", "--daily-quota", "100000000"),
                )
                wait_for_http(f"{sandbox_url}/_sandbox/tracking", sandbox, timeout=STARTUP_TIMEOUT)
                for profile in args.profile:
                    # A fresh database numbers its codes from 1 again, and a code's
                    # tracking_id comes from that number: the sandbox forgets the previous
                    # profile's sends.
                    _post(f"{sandbox_url}/_sandbox/reset", {})
                    _post(f"{sandbox_url}/_sandbox/faults", {"latency_ms": args.latency})
                    with ExitStack() as stack:
                        env = profile_env(profile, base, args, stack, workdir)
                        if env is None:
                            print(f"{profile}: skipped (give --database-url and --redis-url)")
                            continue
                        cases += run_profile(profile, ManagePy(MANAGE_PY, env, output=log), args)
            except Exception:
                log.flush()
                print(f"== the end of {log_path}:\n{log_path.read_text()[-4000:]}")
                raise
            finally:
                sandbox_side.stop_all()
    return cases


def bench_env(workdir: Path, sandbox_url: str, notify: str) -> dict[str, str]:
    from bench.throughput import with_conn_max_age
    from tests.demo.helpers import demo_process_env

    return demo_process_env(
        workdir,
        DJANGO_SETTINGS_MODULE="bench.throughput_settings",
        PYTHONPATH=str(ROOT),
        DATABASE_URL=with_conn_max_age(f"sqlite:///{workdir}/sandbox.sqlite3", 60),
        ZNS_API_BASE_URL=sandbox_url,
        ZNS_OAUTH_BASE_URL=sandbox_url,
        # The ZNS path is measured: no SMS after a code's 20 s without a receipt.
        ZNS_SMS_PROVIDER="",
        ZNS_BENCH_NOTIFY=notify,
        # A cluster of this run's own: its Redis keys are nobody else's.
        ZNS_BENCH_CLUSTER=f"otp_bench_{uuid.uuid4().hex[:8]}",
        DEBUG="false",
        LANGUAGE_CODE="en",
    )


def profile_env(profile: str, base: dict, args, stack: ExitStack, workdir: Path) -> dict | None:
    """The processes' environment for ``profile``; None without its servers."""
    from bench.throughput import with_conn_max_age

    env = dict(base)
    if profile == "sqlite-orm":
        env["DATABASE_URL"] = with_conn_max_age(f"sqlite:///{workdir}/{profile}.sqlite3", 60)
        return env
    if not (args.database_url and args.redis_url):
        return None
    from tests.services import fresh_postgres_database

    name = urlsplit(args.database_url).path.lstrip("/") or "zns"
    url = stack.enter_context(fresh_postgres_database(args.database_url, f"{name}_otp_"))
    stack.callback(_forget_cluster, args.redis_url, env["ZNS_BENCH_CLUSTER"])
    env.update(DATABASE_URL=url, REDIS_URL=args.redis_url)
    return env


def run_profile(profile: str, manage, args) -> list[Case]:
    """Both cases of ``profile``, its processes run by ``manage`` (a ``ManagePy``)."""
    # The account, the templates (the OTP one among them) and the order bindings.
    for command in (("migrate", "--verbosity", "0"), ("zns_demo", "--orders", "0")):
        if manage.run(*command):
            raise RuntimeError(f"{profile}: manage.py {' '.join(command)} failed")
    cases = []
    for index, backlog in enumerate((0, args.backlog)):
        if backlog:
            _child(manage.env, args, "backlog", index)
        for number in range(args.clusters):
            manage.start(f"qcluster-{number}", "qcluster")
        try:
            measured = _child(manage.env, args, "codes", index, backlog=backlog)
        finally:
            manage.stop_all()
        case = Case(profile=profile, backlog=backlog, codes=args.codes, **measured)
        print(case_line(case), flush=True)
        cases.append(case)
    return cases


def _child(env: dict, args, what: str, index: int, *, backlog: int | None = None) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", what]
    command += ["--case", str(index), "--codes", str(args.codes), "--timeout", str(args.timeout)]
    command += ["--backlog", str(args.backlog if backlog is None else backlog)]
    command += ["--spacing", *map(str, args.spacing)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _forget_cluster(redis_url: str, cluster: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"django_q:{cluster}:*"):
        client.delete(key)


def _post(url: str, body: dict) -> dict:
    import requests

    response = requests.post(url, json=body, timeout=10)
    response.raise_for_status()
    return response.json()


# -- the report ------------------------------------------------------------------------------


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def case_line(case: Case) -> str:
    queued = case.queued_at_requests
    redis = f", {case.redis_tasks} Redis tasks" if case.redis_tasks is not None else ""
    return (
        f"{case.profile} backlog {case.backlog}: {len(case.arrived)}/{case.codes} codes on "
        f"the wire, p50 {_ms(case.percentile(0.5))} p95 {_ms(case.percentile(0.95))} "
        f"p99 {_ms(case.percentile(0.99))} max {_ms(max(case.arrived, default=None))}; "
        f"order messages queued at the requests {min(queued, default=0)}–"
        f"{max(queued, default=0)}{redis}, at the last arrival {case.queued_at_last_arrival}"
    )


def report(cases: list[Case]) -> str:
    lines = [
        "",
        f"{'profile':<15} {'backlog':>7} {'codes':>5} {'p50':>8} {'p95':>8} {'p99':>8} "
        f"{'max':>8} {'call p50':>8}  {'queued at requests':>18} {'at last':>7}  sandbox",
    ]
    for case in cases:
        queued = case.queued_at_requests
        once = sum(1 for n in case.sandbox_counts if n == 1)
        calls = sorted(case.calls)
        lines.append(
            f"{case.profile:<15} {case.backlog:>7} {len(case.arrived):>2}/{case.codes:<2} "
            f"{_ms(case.percentile(0.5)):>8} {_ms(case.percentile(0.95)):>8} "
            f"{_ms(case.percentile(0.99)):>8} {_ms(max(case.arrived, default=None)):>8} "
            f"{_ms(calls[len(calls) // 2] if calls else None):>8}  "
            f"{f'{min(queued, default=0)}–{max(queued, default=0)}':>18} "
            f"{case.queued_at_last_arrival!s:>7}  {once}/{case.codes} once"
        )
    lines.append("")
    for case in cases:
        if line := where_the_time_went(case):
            lines.append(line)
    lines.append("")
    for profile in dict.fromkeys(case.profile for case in cases):
        calm = next((c for c in cases if c.profile == profile and not c.backlog), None)
        for busy in (c for c in cases if c.profile == profile and c.backlog):
            lines.append(verdict(calm, busy))
    return "\n".join(lines)


#: The two phases of a code sent by the request itself, as bench/otp_requests.py splits it.
PHASES = {
    "request": "the request's transaction and commit",
    "lane": "its own send (claim, gate, HTTP) to the wire",
}


def where_the_time_went(case: Case) -> str:
    """p50 / p95 of each phase: in all, waiting at BEGIN (SQLite's write lock), other SQL."""
    timed = [phases for phases in case.phases if phases]
    if not timed:
        return ""
    parts = []
    for name, label in PHASES.items():
        figures = [
            "/".join(_ms(percentile([p[name][i] for p in timed], q)) for q in (0.5, 0.95))
            for i in range(3)
        ]
        parts.append(f"{label} {figures[0]} (at BEGIN {figures[1]}, other SQL {figures[2]})")
    return f"{case.profile} backlog {case.backlog}, p50/p95: " + "; ".join(parts)


def verdict(calm: Case | None, busy: Case) -> str:
    p95 = busy.percentile(0.95)
    complete = len(busy.arrived) == busy.codes
    ok = complete and p95 is not None and p95 <= TARGET_P95
    ratios = ""
    if calm is not None:
        pairs = [(label, calm.percentile(q), busy.percentile(q)) for label, q in QUANTILES]
        ratios = ", ".join(
            f"{label} {after / before:.1f}×" for label, before, after in pairs if before and after
        )
    return (
        f"{busy.profile}: with/without the {busy.backlog} backlog {ratios or '-'}; "
        f"p95 {_ms(p95)} against {TARGET_P95:g} s: {'PASS' if ok else 'FAIL'}"
        + ("" if complete else f" ({busy.codes - len(busy.arrived)} codes never arrived)")
    )


QUANTILES = (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
