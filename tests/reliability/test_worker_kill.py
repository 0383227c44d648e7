"""A killed worker costs a minute, not a quarter of an hour (issue 15 §1): 40 orders (160
messages) through the demo's processes with 2 qclusters, Zalo (the sandbox) answering in
200 ms; one qcluster SIGKILLed a few seconds into the sending and not restarted. Every
message ends final, within a bound of the kill, and the sandbox accepted none twice. The
same orders without the kill give the event → accepted latency to compare with.

Marked slow like the other fault-injection runs; the PostgreSQL + Redis profile takes its
servers from ZNS_TEST_DATABASE_URL / ZNS_TEST_REDIS_URL.
"""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from tests.reliability.harness import start_run
from tests.reliability.test_fault_injection import PROFILES
from tests.reliability.worker_kill import KillFigures, drive_kill

pytestmark = pytest.mark.slow

ORDERS = 40
CLUSTERS = 2
TIMEOUT = 300
#: The rows a dead worker claimed but never sent go out again within this of its death: its
#: lease (SEND_LEASE, 30 s), then a running send task's renewal or, with the outbox broker,
#: an idle cluster's poll (every 10 s, zns_notify.broker.OutboxORM or .Redis) recovers them.
UNSENT_BOUND = {"sqlite-orm": 60, "postgres-redis": 60}
#: Every message final within this of the kill: those rows, and their receipts.
FINAL_MARGIN = 15


def one_run(profile: str, tmp_path, *, kill: bool) -> tuple[KillFigures, list[str]]:
    directory = tmp_path / ("kill" if kill else "calm")
    directory.mkdir()
    with ExitStack() as stack:
        database_url, _clusters, extra_env, lose_queue = PROFILES[profile](stack, directory)
        run = start_run(
            profile,
            directory,
            database_url=database_url,
            clusters=CLUSTERS,
            extra_env=extra_env,
            lose_queue=lose_queue,
        )
        try:
            figures = drive_kill(run, ORDERS, kill=kill, timeout=TIMEOUT)
        finally:
            run.manage.stop_all()
        return figures, run.log


@pytest.mark.parametrize("profile", ["sqlite-orm", "postgres-redis"])
def test_a_killed_worker_costs_a_minute(profile, tmp_path, capsys):
    calm, _log = one_run(profile, tmp_path, kill=False)
    killed, log = one_run(profile, tmp_path, kill=True)
    report = [
        f"== killed worker, {profile}: {ORDERS} orders, {CLUSTERS} qclusters",
        *log,
        f"without faults: {calm.line()}",
        f"with the kill:  {killed.line()}",
        f"statuses: {killed.statuses}",
    ]
    with capsys.disabled():  # the figures belong in every CI log, passed or not
        print("\n" + "\n".join(report))

    text = "\n".join(report)
    for figures in (calm, killed):
        assert sum(figures.statuses.values()) == ORDERS * 4, text
        assert set(figures.statuses) <= {"delivered"}, text
        assert not figures.duplicates, text
    assert killed.sending_at_kill, "the kill caught no row being sent\n" + text
    bound = UNSENT_BOUND[profile]
    assert killed.kill_to_final is not None and killed.kill_to_final <= bound + FINAL_MARGIN, text
    # The kill comes when a worker holds claimed rows it has not sent, and takes its cluster:
    # those rows are queued again (a note each, no ambiguous send) and accepted in time.
    assert killed.unsent_at_kill, "the dead worker held no unsent row\n" + text
    assert killed.requeued_notes >= killed.unsent_at_kill, text
    assert killed.unsent_moving_again is not None and killed.unsent_moving_again <= bound, text
