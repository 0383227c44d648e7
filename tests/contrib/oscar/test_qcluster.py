"""The page's queue served by a real ``manage.py qcluster`` process, as docs/oscar.md says
to run one: the orders' messages leave the outbox broker, reach the sandbox and are
delivered by its signed webhooks, exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.contrib.oscar.conftest import OSCAR_SETTINGS
from tests.contrib.oscar.fixtures import place_order, tracking_counts, wait_until
from zns_notify.models import Message

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]


def start_qcluster(sandbox_url: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": OSCAR_SETTINGS,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "ZNS_OSCAR_WORKER_DATABASE": str(connection.settings_dict["NAME"]),
        "ZNS_OSCAR_WORKER_SANDBOX": sandbox_url,
    }
    with log.open("wb") as out:
        # A session of its own: stopping it reaches its guard, pusher, workers and monitor.
        return subprocess.Popen(
            [sys.executable, "-m", "django", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the cluster's main process, which stops its children (SIGTERM to each
    child as well makes its guard wait for them until its own timeout); SIGKILL to the
    whole session if it does not exit, and to any child left behind."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # the whole cluster has exited
    process.wait()


def test_a_qcluster_sends_the_page_s_queue(bindings, connected, catalogue, tmp_path):
    order = place_order(catalogue)
    order.set_status("Paid")
    log = tmp_path / "qcluster.log"
    worker = start_qcluster(connected.url, log)
    try:

        def delivered():
            return Message.objects.filter(status=Message.Status.DELIVERED).count() == 2

        done = wait_until(delivered, timeout=60)
        rows = list(Message.objects.values_list("event", "status", "error_message"))
        assert done, f"{rows}\n{log.read_text(errors='replace')[-3000:]}"
    finally:
        stop(worker)
    counts = tracking_counts(connected)
    keys = Message.objects.values_list("idempotency_key", flat=True)
    assert {counts[key] for key in keys} == {1}, counts
