"""A real sandbox on loopback, a live Django server for its webhooks, and a way to run
queued django-q2 tasks in-process (the qcluster test runs them in a real worker).

The queue is django-q2's ORM broker on the SQLite pass and django-q2's Redis broker
(ZNS_TEST_REDIS_URL) on the PostgreSQL pass: the production profile, PostgreSQL + Redis."""

from __future__ import annotations

import os
import time

import pytest
import requests

from tests.services import service_url
from zns_notify.account.tokens import store_token_pair
from zns_notify.sandbox import SandboxServer


@pytest.fixture
def queue_broker(monkeypatch, transactional_db):
    """The broker these tests enqueue to and :func:`run_queued_tasks` pulls from, empty."""
    from django_q.brokers import get_broker
    from django_q.conf import Conf

    if os.environ.get("ZNS_TEST_DB") == "postgres":
        # django-q2 reads Q_CLUSTER once, into Conf: switch its broker there.
        monkeypatch.setattr(Conf, "ORM", None)
        monkeypatch.setattr(Conf, "REDIS", service_url("ZNS_TEST_REDIS_URL"))
    broker = get_broker()
    broker.purge_queue()
    yield broker
    broker.purge_queue()


@pytest.fixture
def sandbox(live_server, settings, queue_broker):
    zns = settings.ZNS_NOTIFY
    server = SandboxServer(
        app_id=zns["APP_ID"],
        app_secret=zns["APP_SECRET"],
        oa_secret_key=zns["OA_SECRET_KEY"],
        webhook_url=f"{live_server.url}/zns/webhook/",
        receipt_delay=0.2,
        seed=7,
    ).start()
    settings.ZNS_NOTIFY = {**zns, "API_BASE_URL": server.url, "OAUTH_BASE_URL": server.url}
    yield server
    server.stop()


@pytest.fixture
def connected(sandbox):
    pair = sandbox.mint_tokens()
    store_token_pair(
        access_token=pair["access_token"],
        refresh_token=pair["refresh_token"],
        expires_in=int(pair["expires_in"]),
    )
    return sandbox


def run_queued_tasks() -> int:
    """Execute what a qcluster would pull from the broker: same signed payload, same
    function, in queue order; return how many tasks ran."""
    from django.utils.module_loading import import_string
    from django_q.brokers import get_broker
    from django_q.signing import SignedPackage

    broker = get_broker()
    ran = 0
    while broker.queue_size():  # dequeue() waits a poll interval on an empty queue
        for task_id, payload in broker.dequeue() or []:
            task = SignedPackage.loads(payload)
            import_string(task["func"])(*task["args"], **task["kwargs"])
            broker.acknowledge(task_id)
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
