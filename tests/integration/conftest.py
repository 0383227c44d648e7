"""A real sandbox on loopback, a live Django server for its webhooks, and a way to run
queued django-q2 tasks in-process (the qcluster test runs them in a real worker)."""

from __future__ import annotations

import time

import pytest
import requests
from django_q.models import OrmQ

from zns_notify.sandbox import SandboxServer
from zns_notify.tokens import store_token_pair


@pytest.fixture
def sandbox(live_server, settings):
    zns = settings.ZNS_NOTIFY
    server = SandboxServer(
        app_id=zns["APP_ID"], app_secret=zns["APP_SECRET"], oa_secret_key=zns["OA_SECRET_KEY"],
        webhook_url=f"{live_server.url}/zns/webhook/", receipt_delay=0.2, seed=7,
    ).start()
    settings.ZNS_NOTIFY = {**zns, "API_BASE_URL": server.url, "OAUTH_BASE_URL": server.url}
    yield server
    server.stop()


@pytest.fixture
def connected(sandbox):
    pair = sandbox.mint_tokens()
    store_token_pair(access_token=pair["access_token"], refresh_token=pair["refresh_token"],
                     expires_in=int(pair["expires_in"]))
    return sandbox


def run_queued_tasks() -> int:
    """Execute what a qcluster would pull from the ORM broker: same payload, same function."""
    from django.utils.module_loading import import_string

    ran = 0
    for row in OrmQ.objects.order_by("pk"):
        task = row.task
        import_string(task["func"])(*task["args"], **task["kwargs"])
        row.delete()
        ran += 1
    return ran


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def tracking_counts(server: SandboxServer) -> dict[str, int]:
    return requests.get(f"{server.url}/_sandbox/tracking", timeout=5).json()["counts"]
