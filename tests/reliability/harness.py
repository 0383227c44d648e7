"""The fault-injection run: the demo's processes (sandbox, web server for the receipts, N
``qcluster`` processes), ``zns_demo`` driving orders, and a conductor that injects the
faults as the run progresses, then reads the outcome from the database and the sandbox.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from demo_shop.shop.processes import Child, ManagePy, wait_for_http
from tests.demo.helpers import MANAGE_PY, demo_process_env

STARTUP_TIMEOUT = 60
CORE_EVENTS = 4  # created, paid, shipped, delivered: one message each per order
#: Share of the messages that must have gone through before the faults stop.
HEAL_AT = 0.85

#: Short recovery timings, so a run takes minutes (demo_shop/settings.py reads them). The
#: lease is SEND_LEASE's default (30 s, renewed while a worker sends).
TIMINGS = {
    "ZNS_LOST_TASK_AFTER": "20",
    "ZNS_AMBIGUOUS_SENDS": "verify",
    "ZNS_AMBIGUOUS_GRACE": "20",
    "ZNS_RETRY_BACKOFF": "1",
    "ZNS_RETRY_BACKOFF_MAX": "8",
    # 30% failures per try: 15 tries make a message that fails every one of them (0.3^15)
    # practically impossible, so the counts below can be exact.
    "ZNS_MAX_ATTEMPTS": "15",
    "ZNS_REQUEST_TIMEOUT": "2",
    "LANGUAGE_CODE": "en",
}

#: About 30% of send calls fail: 6% resets and 6% HTTP 500 before Zalo processes the
#: request, 6% timeouts after it did (the sandbox accepts the send and answers after
#: timeout_seconds, beyond the client's 2 s: the ambiguous case), and 15% of the rest
#: answered with Zalo's -100. Only the message paths: token refresh under faults is not
#: what this run measures.
FAULTS = {
    "reset_rate": 0.06,
    "http_500_rate": 0.06,
    "timeout_rate": 0.06,
    "timeout_seconds": 3,
    "error_code": -100,
    "error_rate": 0.15,
    "paths": ["/message/"],
    "seed": 5,
}


@dataclass
class Database:
    """Read-only SQL on the demo's database, from the test process."""

    url: str

    def query(self, sql: str) -> list[tuple]:
        if self.url.startswith("sqlite:"):
            with sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30) as conn:
                return conn.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql).fetchall()

    def statuses(self) -> dict[str, int]:
        return dict(self.query("SELECT status, COUNT(*) FROM zns_notify_message GROUP BY status"))

    def messages(self) -> dict[str, tuple[str, int, int]]:
        rows = self.query(
            "SELECT idempotency_key, status, attempts, ambiguous_sends FROM zns_notify_message"
        )
        return {key: (status, attempts, ambiguous) for key, status, attempts, ambiguous in rows}


@dataclass
class Run:
    """One fault-injection run and what it did."""

    profile: str
    manage: ManagePy
    database: Database
    sandbox_url: str
    clusters: list[Child]
    lose_queue: Callable[[Run], None]
    log: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def note(self, what: str) -> None:
        self.log.append(f"{time.monotonic() - self.started:6.1f}s {what}")

    def sandbox(self, path: str, body: dict | None = None) -> dict:
        url = f"{self.sandbox_url}/_sandbox/{path}"
        reply = (
            requests.post(url, json=body, timeout=10)
            if body is not None
            else requests.get(url, timeout=10)
        )
        reply.raise_for_status()
        return reply.json()

    def kill_cluster(self, index: int, *, restart: bool = True) -> None:
        """SIGKILL the qcluster's whole process group (guard, workers, pusher, monitor)
        and (``restart``) start a new one in its place."""
        child = self.clusters[index]
        os.killpg(child.process.pid, signal.SIGKILL)
        child.process.wait()
        self.note(
            f"SIGKILLed qcluster {index} (process group {child.process.pid}) "
            f"with {self.database.statuses().get('sending', 0)} rows sending"
        )
        if not restart:
            return
        time.sleep(1)
        self.clusters[index] = self.manage.start(f"qcluster-{index}-restarted", "qcluster")
        self.note(f"restarted qcluster {index}")


def free_ports(count: int) -> list[int]:
    """Distinct free ports: probed at the same time, so the kernel cannot hand one out twice
    (probing one after the other gave the sandbox and the web server the same port)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def start_run(
    profile: str,
    tmp_path: Path,
    *,
    database_url: str,
    clusters: int,
    extra_env: dict[str, str],
    lose_queue: Callable[[Run], None],
) -> Run:
    web_port, sandbox_port = free_ports(2)
    sandbox_url, web_url = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{web_port}"
    env = demo_process_env(
        tmp_path,
        ZNS_API_BASE_URL=sandbox_url,
        ZNS_OAUTH_BASE_URL=sandbox_url,
        DATABASE_URL=database_url,
        **{**TIMINGS, **extra_env},  # a run may set its own timings
    )
    manage = ManagePy(MANAGE_PY, env)
    assert manage.run("migrate", "--verbosity", "0") == 0
    sandbox = manage.start(
        "zns_sandbox",
        "zns_sandbox",
        "--port",
        str(sandbox_port),
        "--webhook-url",
        f"{web_url}/zns/webhook/",
        "--seed",
        "5",
    )
    web = manage.start("runserver", "runserver", f"127.0.0.1:{web_port}", "--noreload")
    wait_for_http(f"{sandbox_url}/_sandbox/tracking", sandbox, timeout=STARTUP_TIMEOUT)
    wait_for_http(f"{web_url}/", web, timeout=STARTUP_TIMEOUT)
    # Seed (account, templates, bindings) before any worker runs: no faults yet.
    assert manage.run("zns_demo", "--orders", "0") == 0
    workers = [manage.start(f"qcluster-{i}", "qcluster") for i in range(clusters)]
    return Run(profile, manage, Database(database_url), sandbox_url, workers, lose_queue)


def drive(run: Run, orders: int, *, timeout: float) -> dict:
    """Place ``orders`` orders through zns_demo while injecting the faults; return its
    summary once every message is final (or zns_demo's timeout passed)."""
    expected = orders * CORE_EVENTS
    run.sandbox("faults", FAULTS)
    run.note(f"faults on: {FAULTS}")
    # Files, not pipes: nobody reads a pipe while the run goes on, and a full one would
    # block zns_demo's logging (and the whole run) mid-order.
    out_file, err_file = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    demo = subprocess.Popen(
        run.manage.command(
            "zns_demo", "--orders", str(orders), "--json", "--seed", "11", "--timeout", str(timeout)
        ),
        env=run.manage.env,
        stdout=out_file,
        stderr=err_file,
        text=True,
    )
    steps = [
        (0.15, "kill", lambda: run.kill_cluster(0)),
        (
            0.35,
            "token",
            lambda: run.note(
                "expired {} access tokens".format(
                    run.sandbox("faults", {"expire_access_tokens": True})["expired_access_tokens"]
                )
            ),
        ),
        (0.55, "queue", lambda: run.lose_queue(run)),
    ]
    faults_on = True
    while demo.poll() is None:
        statuses = run.database.statuses()
        created = sum(statuses.values())
        settled = created - statuses.get("queued", 0) - statuses.get("sending", 0)
        # The worker is killed mid-batch: while rows are being sent.
        if (
            steps
            and settled >= steps[0][0] * expected
            and (steps[0][1] != "kill" or statuses.get("sending", 0))
        ):
            steps.pop(0)[2]()
        if faults_on and not steps and created >= expected and settled >= HEAL_AT * expected:
            # Every order is in, every fault happened and most messages went through the
            # faults: let the run heal and converge.
            run.sandbox(
                "faults",
                {"reset_rate": 0, "http_500_rate": 0, "timeout_rate": 0, "error_code": None},
            )
            run.note(f"faults off ({statuses})")
            faults_on = False
        time.sleep(0.5)
    demo.wait()
    out, err = (_read(f) for f in (out_file, err_file))
    run.note(f"zns_demo exited {demo.returncode}: {out.strip()[-300:]}")
    assert not steps, f"faults not injected: {[s[1] for s in steps]}"
    lines = out.strip().splitlines()
    assert lines, err[-3000:]
    return json.loads(lines[-1])


def _read(file) -> str:
    with file:
        file.seek(0)
        return file.read()
