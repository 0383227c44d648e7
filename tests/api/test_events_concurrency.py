"""Same-key requests at the same moment: one writes, the others answer as replays.

Real transactions and one database connection per thread: the second request's INSERT of
the key waits on the unique index (PostgreSQL) or the write lock (SQLite) until the first
commits, then finds the key and replays it.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import BindingFactory
from zns_notify.models import EventReport, Message

pytestmark = pytest.mark.django_db(transaction=True)

URL = reverse("zns_notify:api_events")
BODY = {
    "event": "order_created",
    "order_ref": "WEB-77",
    "phone": "0912345678",
    "customer_name": "Lan",
    "total": 100000,
}
THREADS = 4


def post_together(user, bodies: list[dict]) -> list:
    barrier = threading.Barrier(len(bodies))
    responses: list = [None] * len(bodies)

    def run(i: int) -> None:
        client = APIClient()
        client.force_authenticate(user)
        try:
            barrier.wait(timeout=10)
            responses[i] = client.post(
                URL, bodies[i], format="json", headers={"Idempotency-Key": "same-key"}
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def test_concurrent_same_key_same_body_writes_once(reporter):
    BindingFactory(event="order_created")
    BindingFactory(event="order_created")
    responses = post_together(reporter, [BODY] * THREADS)
    assert [r.status_code for r in responses] == [202] * THREADS
    assert sum("Idempotent-Replayed" not in r for r in responses) == 1
    ids = {tuple(m["id"] for m in r.json()["messages"]) for r in responses}
    assert len(ids) == 1 and len(next(iter(ids))) == 2
    assert Message.objects.count() == 2 and EventReport.objects.count() == 1


def test_concurrent_same_key_other_body_one_wins_the_others_are_422(reporter):
    BindingFactory(event="order_created")
    bodies = [{**BODY, "total": 1000 * (i + 1)} for i in range(THREADS)]
    responses = post_together(reporter, bodies)
    assert sorted(r.status_code for r in responses) == [202] + [422] * (THREADS - 1)
    assert Message.objects.count() == 1 and EventReport.objects.count() == 1
