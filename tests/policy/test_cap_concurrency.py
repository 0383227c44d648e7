"""The recipient cap is exact when workers race: each thread has its own database
connection (SQLite here, PostgreSQL in the suite's PostgreSQL pass)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections

from tests.factories import MessageFactory, TemplateFactory
from zns_notify.models import Message, RecipientDailyCount
from zns_notify.policy import rules as policy
from zns_notify.sending.send import deliver

pytestmark = pytest.mark.django_db(transaction=True)
DAY = dt.date(2026, 11, 22)


def race(worker, threads: int) -> list:
    results: list = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def run():
        try:
            start.wait()
            outcome = worker()
            with lock:
                results.append(outcome)
        finally:
            connections.close_all()  # this thread's own connection

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(60)
    return results


def test_racing_reservations_never_exceed_the_cap():
    def reserve_many():
        return sum(policy.reserve("84912345678", DAY, "PROMOTION", 5) for _ in range(10))

    taken = race(reserve_many, threads=6)
    assert sum(taken) == 5
    assert RecipientDailyCount.objects.get().count == 5


def test_racing_first_reservations_create_one_row():
    taken = race(lambda: policy.reserve("84987654321", DAY, "TRANSACTION", 1), threads=6)
    assert sorted(taken) == [False] * 5 + [True]
    assert RecipientDailyCount.objects.get().count == 1


def test_racing_workers_send_exactly_the_cap(account, zalo_api, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "RECIPIENT_DAILY_CAP": 3}
    template = TemplateFactory(tag="TRANSACTION")
    keys = [MessageFactory(template=template).idempotency_key for _ in range(8)]
    for n in range(3):
        zalo_api.send_ok(msg_id=f"m{n}")
    pending = list(keys)
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                if not pending:
                    return None
                key = pending.pop()
            deliver(key)

    race(work, threads=4)
    statuses = sorted(Message.objects.values_list("status", flat=True))
    assert statuses == ["sent"] * 3 + ["skipped"] * 5
    assert len(zalo_api.calls_to("/message/template")) == 3
