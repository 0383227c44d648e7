"""first_in_line: a transaction that, on SQLite, asks for the one write lock every few
milliseconds instead of sleeping in SQLite's busy handler; everywhere else, and inside a
transaction, transaction.atomic."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection

from tests.factories import TemplateFactory
from zns_notify.lib import write_turn
from zns_notify.lib.write_turn import first_in_line
from zns_notify.models import Template

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_commits_what_it_holds_and_rolls_back_on_an_error():
    with first_in_line("default"):
        TemplateFactory(template_id="1")
    with pytest.raises(RuntimeError), first_in_line("default"):
        TemplateFactory(template_id="2")
        raise RuntimeError("the caller failed")
    assert list(Template.objects.values_list("template_id", flat=True)) == ["1"]


def test_inside_a_transaction_it_is_a_savepoint_of_it():
    from django.db import transaction

    with transaction.atomic():
        with pytest.raises(RuntimeError), first_in_line("default"):
            TemplateFactory(template_id="2")
            raise RuntimeError
        TemplateFactory(template_id="3")
    assert list(Template.objects.values_list("template_id", flat=True)) == ["3"]


class FakeCursor:
    def __init__(self, log):
        self.log = log

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql):
        self.log.append(sql)

    def fetchone(self):
        return (20000,)


class FakeConnection:
    def __init__(self):
        self.log = []

    def ensure_connection(self):
        pass

    def cursor(self):
        return FakeCursor(self.log)


class LockedBlock:
    """An atomic block whose BEGIN meets the lock taken ``times`` times."""

    def __init__(self, times, error="database is locked"):
        self.left, self.error, self.tries = times, error, 0

    def __enter__(self):
        self.tries += 1
        if self.left:
            self.left -= 1
            raise OperationalError(self.error)


def test_on_sqlite_it_asks_again_at_once_and_restores_the_busy_timeout(monkeypatch):
    monkeypatch.setattr(write_turn, "POLL", 0)
    fake, block = FakeConnection(), LockedBlock(times=5)
    write_turn._enter(fake, block)
    assert block.tries == 6
    # SQLite's own sleeping is off while it asks, and back afterwards.
    assert fake.log == [
        "PRAGMA busy_timeout",
        "PRAGMA busy_timeout = 0",
        "PRAGMA busy_timeout = 20000",
    ]


def test_another_error_is_raised_at_once_with_the_timeout_restored():
    fake, block = FakeConnection(), LockedBlock(times=1, error="disk I/O error")
    with pytest.raises(OperationalError, match="disk I/O"):
        write_turn._enter(fake, block)
    assert block.tries == 1 and fake.log[-1] == "PRAGMA busy_timeout = 20000"


def test_it_gives_up_after_the_connections_busy_timeout(monkeypatch):
    class Quick(FakeCursor):
        def fetchone(self):
            return (30,)  # 30 ms

    fake = FakeConnection()
    fake.cursor = lambda: Quick(fake.log)
    with pytest.raises(OperationalError, match="locked"):
        write_turn._enter(fake, LockedBlock(times=10**9))
    assert fake.log[-1] == "PRAGMA busy_timeout = 30"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock")
def test_on_sqlite_the_connections_busy_timeout_is_left_as_it_was():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (before,) = cursor.fetchone()
    with first_in_line("default"):
        TemplateFactory(template_id="1")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone() == (before,)
