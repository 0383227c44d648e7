"""End to end, as `make demo` runs it: real sandbox, web server and qcluster processes on a
SQLite file with the ORM broker, then `zns_demo` against them.

This is the proof that a real qcluster worker sends, and that the sandbox's signed
receipts reach the web server's webhook and mark every message delivered.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from demo_shop.shop.processes import ManagePy, wait_for_http
from tests.demo.helpers import MANAGE_PY, demo_process_env, free_port

pytestmark = pytest.mark.slow

STARTUP_TIMEOUT = 60


@pytest.fixture
def demo(tmp_path):
    """The demo's three processes on free ports; always stopped, even when the test fails."""
    web_port, sandbox_port = free_port(), free_port()
    sandbox_url, web_url = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{web_port}"
    manage = ManagePy(
        MANAGE_PY,
        demo_process_env(tmp_path, ZNS_API_BASE_URL=sandbox_url, ZNS_OAUTH_BASE_URL=sandbox_url),
    )
    try:
        assert manage.run("migrate", "--verbosity", "0") == 0
        sandbox = manage.start(
            "zns_sandbox", "zns_sandbox", "--port", str(sandbox_port),
            "--webhook-url", f"{web_url}/zns/webhook/",
        )
        web = manage.start("runserver", "runserver", f"127.0.0.1:{web_port}", "--noreload")
        manage.start("qcluster", "qcluster")
        wait_for_http(f"{sandbox_url}/_sandbox/tracking", sandbox, timeout=STARTUP_TIMEOUT)
        wait_for_http(f"{web_url}/", web, timeout=STARTUP_TIMEOUT)
        yield manage
    finally:
        manage.stop_all()


def test_three_orders_are_sent_by_the_qcluster_and_delivered_once_each(demo):
    result = subprocess.run(
        demo.command("zns_demo", "--orders", "3", "--json", "--timeout", "60"),
        env=demo.env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "orders": 3,
        "messages": 12,
        "sent": 12,
        "delivered": 12,
        "failed": 0,
        "skipped": 0,
        "pending": 0,
        "duplicates": 0,
    }
    assert demo.first_exited() is None, "a demo process died during the run"
