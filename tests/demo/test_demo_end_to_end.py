"""End to end, as `make demo` runs it: real sandbox, web server and qcluster processes,
then `zns_demo` against them; on a SQLite file with the ORM broker (the embedded profile),
and on PostgreSQL with django-q2's Redis broker (the production profile).

This is the proof that a real qcluster worker sends, and that the sandbox's signed
receipts reach the web server's webhook and mark every message delivered.
"""

from __future__ import annotations

import json
import subprocess
from contextlib import ExitStack

import pytest

from demo_shop.shop.processes import ManagePy, wait_for_http
from tests.demo.helpers import MANAGE_PY, demo_process_env, free_port
from tests.services import fresh_postgres_database, service_url

pytestmark = pytest.mark.slow

STARTUP_TIMEOUT = 60


def profile_env(profile: str, stack: ExitStack) -> dict[str, str]:
    if profile == "sqlite-orm":
        return {}
    redis_url = service_url("ZNS_TEST_REDIS_URL")
    database_url = stack.enter_context(
        fresh_postgres_database(service_url("ZNS_TEST_DATABASE_URL"))
    )
    _flush_demo_queue(redis_url)
    return {"DATABASE_URL": database_url, "REDIS_URL": redis_url}


def _flush_demo_queue(redis_url: str) -> None:
    """Tasks left by an earlier run would be executed against this run's database."""
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("django_q:demo_shop:*"):
        client.delete(key)


@pytest.fixture(params=["sqlite-orm", "postgres-redis"])
def demo(request, tmp_path):
    """The demo's three processes on free ports; always stopped, even when the test fails."""
    web_port, sandbox_port = free_port(), free_port()
    sandbox_url, web_url = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{web_port}"
    stack = ExitStack()
    env = demo_process_env(
        tmp_path,
        ZNS_API_BASE_URL=sandbox_url,
        ZNS_OAUTH_BASE_URL=sandbox_url,
        **profile_env(request.param, stack),
    )
    manage = ManagePy(MANAGE_PY, env)
    try:
        assert manage.run("migrate", "--verbosity", "0") == 0
        sandbox = manage.start(
            "zns_sandbox",
            "zns_sandbox",
            "--port",
            str(sandbox_port),
            "--webhook-url",
            f"{web_url}/zns/webhook/",
        )
        web = manage.start("runserver", "runserver", f"127.0.0.1:{web_port}", "--noreload")
        manage.start("qcluster", "qcluster")
        wait_for_http(f"{sandbox_url}/_sandbox/tracking", sandbox, timeout=STARTUP_TIMEOUT)
        wait_for_http(f"{web_url}/", web, timeout=STARTUP_TIMEOUT)
        yield manage
    finally:
        manage.stop_all()
        stack.close()


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
