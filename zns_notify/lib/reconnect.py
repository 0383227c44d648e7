"""A database connection lost mid-work: recognising it, and working on once it is back.

A PostgreSQL restart, a managed database's failover or maintenance, or a network cut
kill every open connection ("terminating connection due to administrator command") and
refuse new ones for a few seconds. Nothing was wrong with the statements: the same
work succeeds on a new connection once the server is back. Django opens one by itself
on the next query after the broken one is closed; this module closes it and tries again
for a bounded time (:func:`retrying`). An error the server reported for the statement
itself (a constraint, a deadlock, bad SQL) is not a lost connection and is never retried
here.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: How long :func:`retrying` keeps trying: a PostgreSQL restart takes a few seconds, a
#: managed database's switchover some more. Bounded, so that a worker never outlives
#: django-q2's task timeout waiting for a database that does not come back.
RECONNECT_WINDOW = 20.0
#: The first wait, doubled after each failed try up to :data:`MAX_DELAY`.
FIRST_DELAY = 0.25
MAX_DELAY = 4.0

#: SQLSTATEs of a connection that is gone (PostgreSQL's class 08 "connection exception"
#: is matched by its prefix): the server is shutting down, crashed, or is starting up.
LOST_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


def connection_lost(exc: BaseException, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether ``exc`` means the connection to database ``using`` is gone (or could not
    be opened), rather than that the statement failed."""
    if isinstance(exc, InterfaceError):  # the driver's connection is closed
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    # psycopg 3 names it sqlstate, psycopg2 pgcode: the server's own verdict, when it gave one.
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate:
        return sqlstate.startswith("08") or sqlstate in LOST_SQLSTATES
    # No verdict from the server (a refused or cut connection): ask the connection.
    connection = connections[using]
    return connection.connection is None or not connection.is_usable()


def reconnect(using: str = DEFAULT_DB_ALIAS) -> None:
    """Drop the broken connection so that the next query opens a new one. Inside an
    atomic block the transaction is lost with it: its owner must roll back first, so
    nothing is done there."""
    connection = connections[using]
    if connection.in_atomic_block:
        return
    try:
        connection.close()
    except DatabaseError:  # closing a dead connection may complain; it is closed anyway
        pass


def pause(seconds: float) -> None:
    """The wait between two tries (tests replace it)."""
    time.sleep(seconds)


def retrying(
    work: Callable[[], T],
    *,
    using: str = DEFAULT_DB_ALIAS,
    what: str,
    window: float = RECONNECT_WINDOW,
) -> T:
    """Run ``work`` and return its result; while it fails because the connection was lost,
    reconnect and run it again, waiting longer each time, for up to ``window`` seconds.
    ``work`` must be one transaction (or safe to repeat). Any other error, and the last
    lost connection once the window has passed, are raised as they came."""
    started = time.monotonic()
    delay = FIRST_DELAY
    tries = 0
    while True:
        tries += 1
        try:
            result = work()
        except DatabaseError as exc:
            if not connection_lost(exc, using) or connections[using].in_atomic_block:
                raise
            reconnect(using)
            waited = time.monotonic() - started
            # Jittered, so that the workers a restart cut off do not all come back at once;
            # the window holds for the jittered wait, not only for the nominal one.
            wait = delay * random.uniform(0.8, 1.2)
            if waited + wait > window:
                logger.error(
                    "zns: %s: the database connection is still lost after %.1f s and %d tries",
                    what,
                    waited,
                    tries,
                )
                raise
            logger.warning(
                "zns: %s: the database connection was lost (%s); trying again in %.2f s",
                what,
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                wait,
            )
            pause(wait)
            delay = min(delay * 2, MAX_DELAY)
            continue
        if tries > 1:
            logger.warning("zns: %s: done after %d tries, on a new connection", what, tries)
        return result
