"""A database blip while a worker holds Zalo's answers (issue 15, 1b): the answers are
kept and recorded on a new connection once the database is back, so an accepted send
never becomes an unknown one (the lease and ambiguity path, maybe a second send)."""

from __future__ import annotations

import pytest
from django.db import connection, connections
from django.utils import timezone

from tests.db_outage import lost_connection, outage
from tests.factories import MessageFactory
from tests.sending import test_batch
from tests.sending.test_batch import FakeZalo, keys_of
from tests.signal_capture import listening
from zns_notify import signals
from zns_notify.lib import reconnect
from zns_notify.models import Message, MessageEvent
from zns_notify.sending import record, send
from zns_notify.tasks import send_messages

pytestmark = pytest.mark.django_db(transaction=True)

rsps = test_batch.rsps  # Zalo's API mocked, as for the batch tests


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The reconnecting waits, not slept (the outage ends by its count of failed queries)."""
    waited: list[float] = []
    monkeypatch.setattr(reconnect, "pause", waited.append)
    return waited


def assert_sent_once(messages, zalo) -> None:
    rows = Message.objects.filter(pk__in=[m.pk for m in messages])
    assert {
        (m.status, m.msg_id, m.attempts, m.ambiguous_sends, m.error_category) for m in rows
    } == {(Message.Status.SENT, f"m-{m.idempotency_key[-6:]}", 1, 0, "") for m in rows}
    assert sorted(zalo.tracking_ids()) == sorted(keys_of(messages))  # no second send
    for message in messages:  # one "sent" entry each: the rolled-back tries left none
        assert MessageEvent.objects.filter(message=message, status="sent").count() == 1


def test_answers_held_through_a_database_restart_are_recorded_as_sent(
    account, rsps, monkeypatch, waits
):
    messages = MessageFactory.create_batch(4)
    zalo = FakeZalo(rsps)
    real_mark_sent = record.mark_sent
    with outage(failures=8) as down:

        def mark_sent_as_the_database_restarts(*args):
            down.begin()  # the server goes away with Zalo's answers in the worker's hands
            return real_mark_sent(*args)

        monkeypatch.setattr(record, "mark_sent", mark_sent_as_the_database_restarts)
        with listening(signals.message_sent, record=lambda s, kw: kw["message"].pk) as sent:
            assert send_messages(keys_of(messages)) == 4
    assert down.failed == 8
    assert_sent_once(messages, zalo)
    assert sorted(sent) == sorted(m.pk for m in messages)  # announced once each
    assert waits and all(0 < wait <= reconnect.MAX_DELAY * 1.2 for wait in waits)


def test_a_terminated_postgresql_connection_is_replaced_and_the_answers_recorded(
    account, rsps, monkeypatch, waits
):
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend needs PostgreSQL (ZNS_TEST_DB=postgres)")
    messages = MessageFactory.create_batch(3)
    zalo = FakeZalo(rsps)
    real_mark_sent = record.mark_sent
    terminated: list[int] = []

    def mark_sent_on_a_terminated_connection(*args):
        if not terminated:  # what a restart does to the worker's connection
            pid = connection.connection.info.backend_pid
            admin = connections.create_connection("default")
            try:
                with admin.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            finally:
                admin.close()
            terminated.append(pid)
        return real_mark_sent(*args)

    monkeypatch.setattr(record, "mark_sent", mark_sent_on_a_terminated_connection)
    assert send_messages(keys_of(messages)) == 3
    assert terminated and connection.connection.info.backend_pid != terminated[0]
    assert_sent_once(messages, zalo)


def test_claimed_messages_the_database_went_away_from_wait_unsent(account, rsps, monkeypatch):
    messages = MessageFactory.create_batch(3)
    zalo = FakeZalo(rsps)
    real_gate_all = send.gate_all
    calls = []

    def gate_all_as_the_database_restarts(*args):
        calls.append(args)
        if len(calls) == 1:
            raise lost_connection()
        return real_gate_all(*args)

    monkeypatch.setattr(send, "gate_all", gate_all_as_the_database_restarts)
    send_messages(keys_of(messages))  # does not raise: the task ends normally
    assert zalo.bodies == []
    rows = Message.objects.filter(pk__in=[m.pk for m in messages])
    # Never sent: queued again soon, the attempt given back, nothing ambiguous about them.
    assert {(m.status, m.attempts, m.ambiguous_sends, m.error_category) for m in rows} == {
        (Message.Status.QUEUED, 0, 0, "retry")
    }
    assert all(m.next_attempt_at > timezone.now() for m in rows)
    assert all("database connection was lost" in m.error_message for m in rows)


def test_a_write_that_fails_for_another_reason_is_not_retried(account, rsps, monkeypatch, waits):
    import psycopg.errors  # only the exception class
    from django.db import OperationalError

    messages = MessageFactory.create_batch(2)
    FakeZalo(rsps)
    calls = []

    def deadlocked(message, *args):
        calls.append(message.pk)
        error = OperationalError("deadlock detected")
        error.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
        raise error

    monkeypatch.setattr(record, "mark_sent", deadlocked)
    send_messages(keys_of(messages))
    # In its group, then once in its own transaction (as for any bad write): no
    # reconnecting, no waiting.
    assert sorted(calls) == sorted([m.pk for m in messages] * 2) and waits == []
