"""zns_notify.lib.reconnect: what counts as a lost connection, and the bounded retries."""

from __future__ import annotations

import psycopg.errors
import pytest
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, connection

from tests.db_outage import lost_connection
from zns_notify.lib import reconnect

pytestmark = pytest.mark.django_db(transaction=True)


def caused_by(error_class, cause):
    error = error_class(str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    "error",
    [
        lost_connection(),  # 57P01 admin shutdown: a restart
        caused_by(OperationalError, psycopg.errors.CannotConnectNow("starting up")),  # 57P03
        caused_by(OperationalError, psycopg.errors.ConnectionFailure("connection failure")),
        InterfaceError("connection already closed"),
    ],
)
def test_a_gone_connection_is_lost(error):
    assert reconnect.connection_lost(error)


@pytest.mark.parametrize(
    "error",
    [
        caused_by(OperationalError, psycopg.errors.DeadlockDetected("deadlock detected")),
        caused_by(IntegrityError, psycopg.errors.UniqueViolation("duplicate key")),
        OperationalError("database is locked"),  # SQLite, on a connection that works
        DatabaseError("disk I/O error"),
        ValueError("not a database error"),
    ],
)
def test_a_failed_statement_is_not_a_lost_connection(error):
    connection.ensure_connection()  # the statement ran on it
    assert not reconnect.connection_lost(error)


class FakeTime:
    def __init__(self):
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_retrying_tries_again_until_the_database_is_back(monkeypatch):
    clock = FakeTime()
    monkeypatch.setattr(reconnect, "time", clock)
    outcomes = [lost_connection(), lost_connection(), "done"]

    def work():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert reconnect.retrying(work, what="test") == "done"
    assert 0 < clock.now < 1  # 0.25 s then 0.5 s, jittered


def test_retrying_gives_up_once_the_window_has_passed(monkeypatch):
    clock = FakeTime()
    monkeypatch.setattr(reconnect, "time", clock)
    tries = []

    def work():
        tries.append(clock.now)
        raise lost_connection()

    with pytest.raises(OperationalError):
        reconnect.retrying(work, what="test", window=20)
    assert clock.now <= 20 and 5 <= len(tries) < 20


def test_retrying_raises_any_other_error_at_once(monkeypatch):
    monkeypatch.setattr(reconnect, "pause", lambda seconds: pytest.fail("waited"))
    tries = []

    def work():
        tries.append(1)
        raise IntegrityError("duplicate key")

    with pytest.raises(IntegrityError):
        reconnect.retrying(work, what="test")
    assert tries == [1]
