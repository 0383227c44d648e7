"""The connection and value adaptation of the receipts' plain SQL.

A receipt comes for every message sent, so its statements are on a hot path
(bench/webhooks.py): the ORM costs more than the statements themselves there. The
receipts' modules write those few statements in plain SQL, with tables and columns taken
from the models' ``_meta``, through these two helpers.
"""

from __future__ import annotations

import datetime as dt

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper

from zns_notify.models import Message


def connection() -> BaseDatabaseWrapper:
    """The connection messages are written through (the database router's choice)."""
    return connections[router.db_for_write(Message)]


def db_datetime(connection: BaseDatabaseWrapper, value: dt.datetime | None):
    """``value`` as ``connection`` stores a DateTimeField (None stays None)."""
    return connection.ops.adapt_datetimefield_value(value) if value is not None else None
