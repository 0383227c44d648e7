"""The connection and value adaptation of the receipts' plain SQL.

A receipt comes for every message sent, so its statements are on a hot path
(bench/webhooks.py): the ORM costs more than the statements themselves there. The
receipts' modules write those few statements in plain SQL, with tables and columns taken
from the models' ``_meta``, through these two helpers.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper

from zns_notify.models import Message


def connection() -> BaseDatabaseWrapper:
    """The connection messages are written through (the database router's choice)."""
    return connections[router.db_for_write(Message)]


def db_datetime(connection: BaseDatabaseWrapper, value: dt.datetime | None):
    """``value`` as ``connection`` stores a DateTimeField (None stays None)."""
    return connection.ops.adapt_datetimefield_value(value) if value is not None else None


def insert_values(
    connection: BaseDatabaseWrapper, model: type[models.Model], values: dict[str, Any]
) -> tuple[str, list[Any]]:
    """``values`` (field name → value) as an INSERT's quoted column list and its parameters,
    adapted as ``connection`` stores them."""
    columns = ", ".join(
        connection.ops.quote_name(model._meta.get_field(name).column) for name in values
    )
    params = [
        db_datetime(connection, v)
        if isinstance(v, dt.datetime)
        else v.value
        if isinstance(v, enum.Enum)
        else v
        for v in values.values()
    ]
    return columns, params
