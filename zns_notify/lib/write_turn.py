"""A transaction that asks for SQLite's one write lock often, for a caller someone waits
on (a customer with a one-time code form open, zns_notify.otp).

SQLite lets one connection write at a time. A connection that finds the lock taken waits
in SQLite's busy handler, which sleeps between tries, longer and longer, up to 100 ms
each: next to workers whose write transactions follow each other closely, such a waiter
can lose turn after turn for most of a second. :func:`first_in_line` opens its
transaction by trying every few milliseconds instead, so it gets the lock as soon as the
current holder lets go. On other databases (row locks, no single write lock), and inside
a transaction already open, it is :func:`django.db.transaction.atomic`.

It helps only where the transaction takes the lock when it opens: SQLite with
``"transaction_mode": "IMMEDIATE"`` in ``OPTIONS`` (docs/deployment.md), as the demo has.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError, transaction

#: Seconds between two tries at the write lock.
POLL = 0.002


@contextmanager
def first_in_line(using: str) -> Iterator[None]:
    """``transaction.atomic(using=using)``, opened on SQLite by trying for the write lock
    every :data:`POLL` seconds, for as long as the connection's busy timeout allows."""
    connection = transaction.get_connection(using)
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic(using=using):
            yield
        return
    block = transaction.atomic(using=using)
    _enter(connection, block)
    try:
        yield
    except BaseException:
        if not block.__exit__(*sys.exc_info()):
            raise
    else:
        block.__exit__(None, None, None)


def _enter(connection, block) -> None:
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (timeout_ms,) = cursor.fetchone()
        cursor.execute("PRAGMA busy_timeout = 0")  # no sleeping in SQLite: the loop below
    deadline = time.monotonic() + timeout_ms / 1000
    try:
        while True:
            try:
                block.__enter__()
                return
            except OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(POLL)
    finally:
        # Restored once the lock is ours (or given up): the statements inside wait as usual.
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
