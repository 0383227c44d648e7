"""A database that goes away for a while, as during a PostgreSQL restart: every query on
the connection fails with the error a terminated connection gives, then works again.

Installed with Django's ``connection.execute_wrapper`` on the test's thread (the worker's
task thread, or the view's request), so the code under test meets the same exception it
gets from psycopg when the server restarts.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import OperationalError, connection


def lost_connection(message: str = "terminating connection due to administrator command"):
    """What Django raises when PostgreSQL ends the connection: OperationalError wrapping
    psycopg's AdminShutdown (SQLSTATE 57P01)."""
    import psycopg.errors  # only the exception class: the tests may run on SQLite

    error = OperationalError(message)
    error.__cause__ = psycopg.errors.AdminShutdown(message)
    return error


class Outage:
    """Fails the next ``failures`` queries once :meth:`begin` is called (all of them while
    ``failures`` is None, until :meth:`end`)."""

    def __init__(self, failures: int | None = None):
        self.failures = failures
        self.failed = 0
        self.active = False

    def begin(self) -> None:
        self.active = True

    def end(self) -> None:
        self.active = False

    def __call__(self, execute, sql, params, many, context):
        if self.active and (self.failures is None or self.failed < self.failures):
            self.failed += 1
            raise lost_connection()
        if self.failures is not None and self.failed >= self.failures:
            self.active = False
        return execute(sql, params, many, context)


@contextmanager
def outage(failures: int | None = None, *, begun: bool = False):
    """An :class:`Outage` on this thread's default connection for the ``with`` block."""
    down = Outage(failures)
    if begun:
        down.begin()
    with connection.execute_wrapper(down):
        yield down
