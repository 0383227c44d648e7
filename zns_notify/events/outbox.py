"""The event hot path: write Message rows in the caller's transaction and enqueue them.

This runs inside the shop's order save, so it is kept to three statements per event: one
SELECT of the active bindings, one INSERT of the message rows, one enqueue. With the ORM
broker on the same database the enqueue is an INSERT in the same transaction, so the order
change, its messages and their queue entry commit (or roll back) together and the save
pays for a single commit. With zns_notify's outbox broker (:mod:`zns_notify.events.relay`)
there is no enqueue at all: the committed message row is the queue entry. Other brokers are
pushed in ``on_commit``, so a rolled-back order never sends. The statements themselves
live in :mod:`zns_notify.events.outbox_sql`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from functools import partial
from typing import Any

from django.db import router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.conf import Conf
from django_q.tasks import async_task

from zns_notify import signals
from zns_notify.conf import app_settings
from zns_notify.events.outbox_sql import (
    TASK_SEND,
    ActiveBinding,
    active_bindings,
    enqueue_on_orm_broker,
    insert_rows,
)
from zns_notify.events.relay import relay_active
from zns_notify.exceptions import ZnsInvalidPhone, ZnsRenderError
from zns_notify.lib.phones import normalize_phone
from zns_notify.models import Message, Template
from zns_notify.rendering.order_data import OrderFacts, order_variables, read_order
from zns_notify.rendering.params import render_params
from zns_notify.zalo.errors import ErrorAction

logger = logging.getLogger(__name__)

QUEUED = Message.Status.QUEUED
#: Template statuses whose messages are queued: ENABLE, and those Zalo may return to ENABLE
#: (an admin re-enables it, a review passes), whose messages the worker holds without an
#: API call instead of failing them (issue: do not burn the queue). DELETE is final.
_SENDABLE_OR_HELD = frozenset(
    {
        Template.Status.ENABLE,
        Template.Status.DISABLE,
        Template.Status.PENDING_REVIEW,
        Template.Status.REJECT,
    }
)
FAILED = Message.Status.FAILED


def idempotency_key(binding_pk: int, order_type: str, order_pk: str, event: str) -> str:
    """43 characters of [a-z0-9]: within Zalo's 48-char tracking_id and free of specials."""
    raw = f"{binding_pk}|{order_type}|{order_pk}|{event}".encode()
    return "zns" + hashlib.blake2b(raw, digest_size=20).hexdigest()


def write_messages(
    event: str, obj: Any, extra: dict[str, Any], *, development_mode: bool | None = None
) -> list[str]:
    """Create the messages ``event`` on ``obj`` calls for; return their idempotency keys.

    Rows that cannot be sent (bad phone, a param that does not render or fit, a template
    Zalo does not allow) are written as skipped/failed with the reason and never enqueued.
    A (binding, order, event) that already has a message is left alone: the unique key
    makes repeats free.
    """
    using = router.db_for_write(Message)
    connection = transaction.get_connection(using)
    # One cursor for the hot path's three statements.
    with connection.cursor() as cursor:
        return _write(cursor, event, obj, extra, development_mode)


def _write(
    cursor, event: str, obj: Any, extra: dict[str, Any], development_mode: bool | None = None
) -> list[str]:
    bindings = active_bindings(cursor, event)
    if not bindings:
        return []
    facts = read_order(obj)
    phone, phone_problem = _phone(facts.raw_phone)
    now = timezone.now()
    context = {
        "order": obj,
        "customer_name": facts.customer_name,
        "order_code": facts.order_ref,
        "phone": phone or facts.raw_phone,
        "event": event,
        "now": now,
        **order_variables(obj),
        **extra,
    }
    common = {
        "event": event,
        "order_type": facts.order_type,
        "order_pk": facts.order_pk,
        "order_ref": facts.order_ref[:64],
        "phone": phone,
        "development_mode": (
            app_settings.DEVELOPMENT_MODE if development_mode is None else bool(development_mode)
        ),
        "status": QUEUED,
        "created_at": now,
    }
    rows = [_build_row(b, common, facts, phone_problem, context) for b in bindings]
    # A delayed row is not enqueued: the sweeper (or the outbox broker's poll) hands it
    # to a worker once its next_attempt_at comes.
    queued = [
        row["idempotency_key"]
        for row in rows
        if row["status"] == QUEUED and "next_attempt_at" not in row
    ]
    store_rows(cursor, rows, queued, common["created_at"])
    return [row["idempotency_key"] for row in rows]


def store_rows(cursor, rows: list[dict[str, Any]], queued: list[str], created_at) -> None:
    """Insert ``rows`` (Message columns by attname), enqueue the ``queued`` keys atomically
    with them, and after the commit announce the rows that failed before any send. The
    second half of the hot path, shared with the one-time codes (zns_notify.otp.sending)
    so that both kinds of message reach the worker the same way."""
    using = cursor.db.alias
    with transaction.atomic(using=using, savepoint=False):
        insert_rows(cursor, Message, rows, ignore_conflicts=True)
        if queued:
            enqueue(queued, cursor=cursor)
        if len(queued) < len(rows):  # the rare path: some rows failed, skipped or delayed
            failed = [row["idempotency_key"] for row in rows if row["status"] == FAILED]
            if failed:
                transaction.on_commit(
                    partial(announce_failed, failed, created_at), using=using, robust=True
                )


def announce_failed(keys: list[str], created_at=None) -> None:
    """message_failed for rows that failed before any send (render, template, accessor),
    so a host listening for failures (an SMS fallback) hears of them too. Only rows this
    event wrote (``created_at``): a repeated event finds its row already there (the
    INSERT ignored the conflict) and must not announce its old failure again."""
    rows = Message.objects.filter(idempotency_key__in=keys, status=FAILED)
    if created_at is not None:
        rows = rows.filter(created_at=created_at)
    for message in rows:
        signals.announce(
            signals.message_failed,
            message=message,
            error_code=None,
            category=message.error_category,
            reason=message.error_message,
        )


def _phone(raw: str) -> tuple[str, str]:
    try:
        return normalize_phone(raw), ""
    except ZnsInvalidPhone as exc:
        return "", str(exc)


def _build_row(
    binding: ActiveBinding,
    common: dict[str, Any],
    facts: OrderFacts,
    phone_problem: str,
    context: dict,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        **common,
        "idempotency_key": idempotency_key(
            binding.pk, facts.order_type, facts.order_pk, common["event"]
        ),
        "binding_id": binding.pk,
        "template_id": binding.template_pk,
        "zalo_template_id": binding.template_id,
        "params": {},
    }
    if binding.journey_type:  # ZNS Journey: the worker sends it under the order's token
        row["journey_type"] = binding.journey_type
    if facts.problem:
        return mark_unsent(row, Message.Status.FAILED, ErrorAction.CONFIG, facts.problem)
    if binding.template_status not in _SENDABLE_OR_HELD:
        reason = template_not_enabled(binding.template_id, binding.template_status)
        return mark_unsent(row, Message.Status.FAILED, ErrorAction.CONFIG, reason)
    if phone_problem:
        return mark_unsent(row, Message.Status.SKIPPED, ErrorAction.RECIPIENT, phone_problem)
    try:
        row["params"] = render_params(binding.expressions, binding.specs, context)
    except ZnsRenderError as exc:
        return mark_unsent(row, Message.Status.FAILED, ErrorAction.PAYLOAD, str(exc))
    if binding.delay_minutes:  # policy: a delayed binding (docs/policy.md)
        row["next_attempt_at"] = common["created_at"] + dt.timedelta(minutes=binding.delay_minutes)
    return row


def template_not_enabled(template_id: str, status: str) -> str:
    """Why a message of a template Zalo does not allow is not sent."""
    return _("Template %(id)s is %(status)s on Zalo, not ENABLE.") % {
        "id": template_id,
        "status": status,
    }


def mark_unsent(row: dict[str, Any], status: str, category: str, reason: str) -> dict[str, Any]:
    """``row`` written as ``status`` (failed or skipped) with its reason, never enqueued."""
    row.update(status=status, error_category=str(category), error_message=reason)
    logger.info("zns message for %s %s not sent: %s", row["order_type"], row["order_pk"], reason)
    return row


def enqueue(keys: list[str], *, cursor) -> None:
    """Queue a send task for ``keys``, atomically with the transaction ``cursor`` is in."""
    using = cursor.db.alias
    if relay_active(using):
        return  # the committed row is the queue entry: zns_notify's broker relays it
    if _broker_shares_transaction(using):
        enqueue_on_orm_broker(
            cursor, TASK_SEND, (keys,), list_key=_list_key(), name=f"zns:{keys[0]}"
        )
    else:
        transaction.on_commit(partial(push_send_task, keys), using=using, robust=True)


def _list_key() -> str:
    return app_settings.QUEUE_CLUSTER or Conf.CLUSTER_NAME


def _broker_shares_transaction(using: str) -> bool:
    # Mirrors django_q.brokers.get_broker's precedence: the ORM broker is used only when no
    # custom class, IronMQ or SQS is configured. Sync mode runs the task inside async_task,
    # which must wait for the commit like any out-of-database broker.
    if Conf.SYNC or Conf.BROKER_CLASS or Conf.IRON_MQ or isinstance(Conf.SQS, dict):
        return False
    return bool(Conf.ORM) and Conf.ORM == using


def push_send_task(keys: list[str]) -> None:
    """Enqueue through django-q2's public API (any broker; used after commit and by the sweeper)."""
    async_task(TASK_SEND, keys, cluster=app_settings.QUEUE_CLUSTER, task_name=f"zns:{keys[0]}")
