"""The killed-worker run (issue 15 §1): orders through the demo's processes while Zalo (the
sandbox) answers with a realistic delay, one of the qclusters SIGKILLed a few seconds into
the sending and not restarted; the figures: time from the kill to every message final, how
long the rows the dead worker held (claimed, not on the wire) took to move again, and the
event → accepted latency of each message (``created_at`` → ``sent_at``).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

from tests.reliability.harness import CORE_EVENTS, Run, _read

FINAL = ("delivered", "failed", "skipped", "cancelled", "undelivered")
#: Zalo's round trip from Vietnam is about 50 ms; a slower one keeps rows in flight long
#: enough for the kill to catch some.
LATENCY_MS = 200
#: The kill comes at the first sight of claimed rows held unsent, or this long after the
#: first message was accepted.
KILL_AFTER = 3.0


@dataclass
class KillFigures:
    """What one run measured (seconds)."""

    orders: int
    killed: bool
    #: The qcluster killed: the one whose worker held claimed rows unsent, when one did.
    victim: int = 0
    sending_at_kill: int = 0
    unsent_at_kill: int = 0
    #: Kill → every message final.
    kill_to_final: float | None = None
    #: Kill → the last of the rows held unsent at the kill accepted by Zalo.
    unsent_moving_again: float | None = None
    #: Event (row written) → accepted by Zalo, per message.
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    ambiguous: int = 0
    requeued_notes: int = 0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(int(share * len(ordered)), len(ordered) - 1)]

    def line(self) -> str:
        what = "SIGKILL of 1 of 2 qclusters" if self.killed else "no fault"
        figures = [
            f"{what}: {self.orders} orders, {len(self.latencies)} accepted",
            f"event→accepted p50 {self.percentile(0.5):.2f} s, p99 {self.percentile(0.99):.2f} s",
        ]
        if self.killed:
            figures += [
                f"{self.sending_at_kill} rows sending at the kill ({self.unsent_at_kill} of them "
                f"the dead worker's, not on the wire)",
                f"kill→all final {self.kill_to_final:.1f} s",
                "unsent rows accepted again "
                + (
                    f"{self.unsent_moving_again:.1f} s after the kill"
                    if self.unsent_moving_again is not None
                    else "(none)"
                ),
                f"{self.requeued_notes} queued again unsent, {self.ambiguous} ambiguous sends",
            ]
        figures.append(f"duplicates {len(self.duplicates)}")
        return "; ".join(figures)


def _instant(value) -> dt.datetime:
    if isinstance(value, str):  # SQLite
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _cluster_of(run: Run, workers: list[str]) -> int | None:
    """The index of the qcluster one of ``workers`` ("host:pid", Message.claimed_by) runs
    in: a worker process is in its cluster's process group."""
    for worker in workers:
        try:
            group = os.getpgid(int(worker.rsplit(":", 1)[1]))
        except (IndexError, ValueError, ProcessLookupError):
            continue
        for index, cluster in enumerate(run.clusters):
            if cluster.process.pid == group:
                return index
    return None


def drive_kill(run: Run, orders: int, *, kill: bool, timeout: float) -> KillFigures:
    """Place ``orders`` orders with zns_demo; with ``kill``, SIGKILL qcluster 0 (no restart)
    :data:`KILL_AFTER` seconds after the first message was accepted, while rows are being
    sent. Return the figures once every message is final (or ``timeout`` passed)."""
    expected = orders * CORE_EVENTS
    run.sandbox("faults", {"latency_ms": LATENCY_MS, "paths": ["/message/"]})
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
    figures = KillFigures(orders, kill)
    db = run.database
    first_sent = killed_at = kill_instant = None
    unsent: set[str] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = db.statuses()
        created = sum(statuses.values())
        if kill and killed_at is None:
            if first_sent is None and db.query(
                "SELECT 1 FROM zns_notify_message WHERE sent_at IS NOT NULL LIMIT 1"
            ):
                first_sent = time.monotonic()
            rows = db.query(
                "SELECT idempotency_key, attempts, unsent_attempt, claimed_by "
                "FROM zns_notify_message WHERE status = 'sending'"
            )
            # Whose they are is read while the workers live (a dead pid has no group).
            owner = {key: _cluster_of(run, [worker]) for key, _a, _u, worker in rows}
            held = [key for key, attempts, unsent_at, _w in rows if unsent_at == attempts]
            victim = next((owner[key] for key in held if owner[key] is not None), None)
            late = first_sent is not None and time.monotonic() - first_sent >= KILL_AFTER
            # The first moment a worker holds claimed rows it has not sent (the day's first
            # send probes the quota, the rest wait for its answer): its cluster is killed,
            # so that the run measures their recovery. Else a few seconds in, cluster 0.
            if victim is not None or (late and statuses.get("sending", 0)):
                figures.victim = victim or 0
                run.kill_cluster(figures.victim, restart=False)
                killed_at, kill_instant = time.monotonic(), dt.datetime.now(dt.UTC)
                figures.sending_at_kill = len(rows)
                # The dead worker's rows not on the wire: the ones that must move again. Read
                # again after the kill, since between the first read and the kill its worker
                # may have put one on the wire (that one is an ambiguous send, not unsent);
                # its rows stay as they are until their lease ends, seconds later.
                still_unsent = {
                    key
                    for (key,) in db.query(
                        "SELECT idempotency_key FROM zns_notify_message "
                        "WHERE status = 'sending' AND unsent_attempt = attempts"
                    )
                }
                unsent = {
                    key for key in held if owner[key] == figures.victim and key in still_unsent
                }
                figures.unsent_at_kill = len(unsent)
        final = sum(statuses.get(status, 0) for status in FINAL)
        if created >= expected and final == created and (killed_at or not kill):
            if killed_at is not None:
                figures.kill_to_final = time.monotonic() - killed_at
            break
        time.sleep(0.25 if killed_at or not kill else 0.02)
    demo.wait(timeout=timeout)
    out = _read(out_file)
    _read(err_file)
    run.note(f"zns_demo exited {demo.returncode}: {out.strip()[-300:]}")
    figures.statuses = db.statuses()
    rows = db.query("SELECT idempotency_key, created_at, sent_at FROM zns_notify_message")
    figures.latencies = [
        (_instant(sent) - _instant(created)).total_seconds()
        for _key, created, sent in rows
        if sent is not None
    ]
    if unsent and killed_at is not None:
        # sent_at is the workers' clock: the same machine's as the kill's instant.
        accepted = [_instant(sent) for key, _created, sent in rows if key in unsent and sent]
        if accepted:
            figures.unsent_moving_again = (max(accepted) - kill_instant).total_seconds()
    counts = run.sandbox("tracking")["counts"]
    figures.duplicates = {key: n for key, n in counts.items() if n > 1}
    [(figures.ambiguous,)] = db.query(
        "SELECT COALESCE(SUM(ambiguous_sends), 0) FROM zns_notify_message"
    )
    figures.requeued_notes = db.query(
        "SELECT COUNT(*) FROM zns_notify_messageevent WHERE kind = 'note' "
        "AND detail LIKE '%stopped before sending%'"
    )[0][0]
    return figures
