"""The three statements of the event hot path, compiled once per process.

Django's ORM spends ~0.3-0.5 ms building each query on a small machine, several times the
cost of running it on SQLite, and the hot path runs inside every order save. So these
statements are built once from the models' ``_meta`` (never hand-written column lists)
and rendered through the database backend's own operations, which keeps them portable
across SQLite and PostgreSQL and in step with migrations.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.core.signing import TimestampSigner
from django.db import connections
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import PickleSerializer

from zns_notify.models import Binding, Template

#: The worker's task that sends a batch of queued messages (by their keys).
TASK_SEND = "zns_notify.tasks.send_messages"


@dataclass(frozen=True)
class ActiveBinding:
    """What the hot path needs of a binding and its template, without model instances."""

    pk: int
    expressions: dict[str, str]
    template_pk: int
    template_id: str
    template_status: str
    specs: dict[str, dict]
    #: Policy: the message is due this many minutes after the event (0: at once).
    delay_minutes: int = 0
    #: ZNS Journey: the token type its messages go under ("": normal sends).
    journey_type: str = ""


@lru_cache(maxsize=8)
def _bindings_sql(vendor: str, alias: str) -> str:
    qn = connections[alias].ops.quote_name
    b, t = Binding._meta, Template._meta

    def col(meta, name):
        return f"{qn(meta.db_table)}.{qn(meta.get_field(name).column)}"

    return (
        f"SELECT {col(b, 'id')}, {col(b, 'params')}, {col(t, 'id')}, {col(t, 'template_id')}, "
        f"{col(t, 'status')}, {col(t, 'params')}, {col(b, 'delay_minutes')}, "
        f"{col(b, 'journey_type')} "
        f"FROM {qn(b.db_table)} INNER JOIN {qn(t.db_table)} ON {col(b, 'template')} = "
        f"{col(t, 'id')} "
        f"WHERE {col(b, 'event')} = %s AND {col(b, 'is_active')} = %s ORDER BY {col(b, 'id')}"
    )


def _json(value: Any) -> Any:
    # Django's SQLite and PostgreSQL backends hand JSON columns back as text on a raw
    # cursor; a backend or driver that decodes them itself gets its value used as is.
    return json.loads(value) if isinstance(value, str | bytes) else value


@lru_cache(maxsize=256)
def _parse_binding(expressions_json: Any, specs_json: Any) -> tuple[dict, dict]:
    """Parsed once per distinct JSON text: bindings change rarely, events happen constantly.
    Callers must not mutate the returned dicts."""
    return _json(expressions_json) or {}, _parse_specs(specs_json)


def active_bindings(cursor, event: str) -> list[ActiveBinding]:
    """``cursor``: a Django cursor on the database the messages are written to."""
    connection = cursor.db
    cursor.execute(_bindings_sql(connection.vendor, connection.alias), [event, True])
    rows = cursor.fetchall()
    bindings = []
    for pk, expressions_json, template_pk, template_id, status, specs_json, delay, journey in rows:
        if isinstance(expressions_json, str) and isinstance(specs_json, str):
            expressions, specs = _parse_binding(expressions_json, specs_json)
        else:
            expressions, specs = _json(expressions_json) or {}, _parse_specs(specs_json)
        bindings.append(
            ActiveBinding(
                pk, expressions, template_pk, template_id, status, specs, delay or 0, journey or ""
            )
        )
    return bindings


def _parse_specs(value: Any) -> dict:
    return {spec["name"]: spec for spec in _json(value) or []}


#: Field types whose database value is the Python value itself for None, str, int and bool
#: (what get_db_prep_save returns for them); skipping the call halves the cost of a row.
_PASSTHROUGH = frozenset(
    {
        "CharField",
        "TextField",
        "IntegerField",
        "BigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "BooleanField",
        "ForeignKey",
    }
)
_PLAIN = (str, int, bool)
#: How a column's value is converted: unchanged, as an aware datetime, or by the field.
_AS_IS, _DATETIME, _JSON, _BY_FIELD = "as-is", "datetime", "json", "by-field"


def _conversion(field) -> str:
    kind = field.get_internal_type()
    if kind in _PASSTHROUGH:
        return _AS_IS
    return {"DateTimeField": _DATETIME, "JSONField": _JSON}.get(kind, _BY_FIELD)


@lru_cache(maxsize=16)
def _insert_plan(model: type[Model], alias: str, ignore_conflicts: bool) -> tuple[str, tuple]:
    """The INSERT statement and, per column, (attname, passthrough?, field), decided once."""
    connection = connections[alias]
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    ops = connection.ops
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    suffix = ops.on_conflict_suffix_sql(fields, on_conflict, None, None)
    sql = (
        f"{ops.insert_statement(on_conflict=on_conflict)} {ops.quote_name(model._meta.db_table)} "
        f"({columns}) VALUES ({placeholders}) {suffix}"
    ).strip()
    plan = tuple((f.attname, _conversion(f), f) for f in fields)
    return sql, plan


def insert_rows(
    cursor, model: type[Model], rows: list[dict[str, Any]], *, ignore_conflicts: bool = False
) -> None:
    """INSERT rows given as {attname: value}, optionally skipping rows whose unique key exists.

    Missing attributes take the field's default; every value goes through the field's own
    ``get_db_prep_save``, exactly as ``bulk_create`` would convert it, except None and plain
    str/int/bool on fields whose conversion returns them unchanged. ``cursor``: a Django
    cursor on the database to write to.
    """
    connection = cursor.db
    sql, plan = _insert_plan(model, connection.alias, ignore_conflicts)
    params = [_prep_row(plan, row, connection) for row in rows]
    if len(params) == 1:
        cursor.execute(sql, params[0])
    else:
        cursor.executemany(sql, params)


def _prep_row(plan: tuple, row: dict[str, Any], connection) -> list[Any]:
    ops = connection.ops
    values = []
    for attname, conversion, field in plan:
        value = row[attname] if attname in row else field.get_default()
        if value is None or (conversion is _AS_IS and type(value) in _PLAIN):
            pass
        elif conversion is _DATETIME and type(value) is datetime and value.tzinfo is not None:
            # What DateTimeField.get_db_prep_save ends with; its earlier steps only act
            # on naive or non-datetime values.
            value = ops.adapt_datetimefield_value(value)
        elif conversion is _JSON and type(value) in (dict, list):
            # What JSONField.get_db_prep_save ends with; its earlier steps only act on
            # expressions and on values wrapped for the database.
            value = ops.adapt_json_value(value, field.encoder)
        else:
            value = field.get_db_prep_save(value, connection)
        values.append(value)
    return values


@lru_cache(maxsize=4)
def _signer(key: str, salt: str) -> TimestampSigner:
    return TimestampSigner(key=key, salt=salt)


def signed_package(task: dict[str, Any]) -> str:
    """``django_q.signing.SignedPackage.dumps(task)``, to the byte, with the signer built
    once per (key, salt) instead of per task: the same Django TimestampSigner, key
    (Conf.SECRET_KEY), salt (Conf.PREFIX), pickle serializer and compression setting."""
    signer = _signer(Conf.SECRET_KEY, Conf.PREFIX)
    return signer.sign_object(task, serializer=PickleSerializer, compress=Conf.COMPRESSED)


def task_package(func: str, args: tuple, *, name: str) -> str:
    """The signed payload ``async_task(func, *args, task_name=name)`` would queue: the same
    task dict, with the cluster-wide overrides async_task applies to every task."""
    task: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "name": name,
        "func": func,
        "args": args,
        "kwargs": {},
    }
    if Conf.CACHED:
        task["cached"] = Conf.CACHED
    if Conf.ACK_FAILURES:
        task["ack_failure"] = Conf.ACK_FAILURES
    task["started"] = timezone.now()
    return signed_package(task)


def enqueue_on_orm_broker(cursor, func: str, args: tuple, *, list_key: str, name: str) -> None:
    """What ``django_q.brokers.orm.ORM.enqueue`` does for ``async_task``, as one INSERT.

    Same task package, same OrmQ row; without async_task's per-call broker setup, logging
    and signal, which cost more than the INSERT. tests/demo/test_demo_end_to_end.py runs
    these rows through a real qcluster.
    """
    row = {"key": list_key, "payload": task_package(func, args, name=name), "lock": timezone.now()}
    insert_rows(cursor, OrmQ, [row])
