"""The hot path's hand-built INSERT converts values exactly as Django's fields would."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from zns_notify.events.outbox_sql import _insert_plan, _prep_row
from zns_notify.models import Message

pytestmark = pytest.mark.django_db


def test_row_values_match_each_fields_own_conversion():
    aware = timezone.now()
    row = {
        "idempotency_key": "zns" + "a" * 40,
        "event": "order_paid",
        "order_type": "shop.order",
        "order_pk": "7",
        "order_ref": "BH0000007",
        "phone": "84912345678",
        "status": "queued",
        "development_mode": True,
        "params": {"total_amount": "1.250.000 đ"},
        "created_at": aware,
        "next_attempt_at": aware + dt.timedelta(minutes=5),
        "binding_id": 3,
    }
    _sql, plan = _insert_plan(Message, connection.alias, True)
    expected = [
        field.get_db_prep_save(row[attname] if attname in row else field.get_default(), connection)
        for attname, _conversion, field in plan
    ]
    assert unwrapped(_prep_row(plan, row, connection)) == unwrapped(expected)


def unwrapped(values: list) -> list:
    # PostgreSQL's adapter wraps JSON in psycopg's Jsonb, which compares by identity.
    return [getattr(value, "obj", value) for value in values]


def test_a_naive_datetime_still_goes_through_the_field_and_its_warning():
    _sql, plan = _insert_plan(Message, connection.alias, True)
    naive = dt.datetime(2026, 11, 22, 9, 30)
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        values = _prep_row(plan, {"created_at": naive}, connection)
    field = Message._meta.get_field("created_at")
    position = [attname for attname, _c, _f in plan].index("created_at")
    with pytest.warns(RuntimeWarning):
        assert values[position] == field.get_db_prep_save(naive, connection)
