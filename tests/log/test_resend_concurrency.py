"""Operators racing on one message (a double click, two people on the same failed order, a
cancel while a worker claims it): each thread has its own database connection (SQLite
here, PostgreSQL in the suite's PostgreSQL pass), and exactly one of them wins."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import User

from tests.factories import MessageFactory
from tests.policy.test_cap_concurrency import race
from zns_notify.log import actions as log_actions
from zns_notify.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def test_racing_resends_of_one_message_queue_one_copy():
    user = User.objects.create_user("op", is_staff=True)
    original = MessageFactory(status="failed")

    def resend():
        try:
            return log_actions.resend(Message.objects.get(pk=original.pk), user).pk
        except log_actions.Refused as exc:
            return str(exc)

    outcomes = race(resend, threads=4)
    copies = [outcome for outcome in outcomes if isinstance(outcome, int)]
    assert len(outcomes) == 4 and len(copies) == 1
    assert all(
        "was already resent as message" in outcome
        for outcome in outcomes
        if isinstance(outcome, str)
    )
    assert list(Message.objects.filter(resent_from=original).values_list("pk", flat=True)) == copies


def test_a_cancel_racing_a_workers_claim_leaves_one_winner():
    from zns_notify.sending.claim import claim

    user = User.objects.create_user("op", is_staff=True)
    for _round in range(8):
        message = MessageFactory(status="queued")
        stale = Message.objects.get(pk=message.pk)  # the operator's page, read before

        def either(stale=stale, key=message.idempotency_key):
            return (
                ("cancel", log_actions.cancel(stale, user))
                if threading.current_thread().name.endswith("0")
                else ("claim", claim(key) is not None)
            )

        outcomes = dict(race_named(either, threads=2))
        final = Message.objects.get(pk=message.pk).status
        assert outcomes["cancel"] != outcomes["claim"], outcomes
        assert final == ("cancelled" if outcomes["cancel"] else "sending")


def race_named(worker, threads: int) -> list:
    """:func:`race`, with threads named ``racer-0``, ``racer-1``… so each knows its part."""
    from django.db import connections

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
            connections.close_all()

    pool = [threading.Thread(target=run, name=f"racer-{n}") for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(60)
    return results
