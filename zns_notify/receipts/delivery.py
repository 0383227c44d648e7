"""What happens to a message after Zalo accepted it: delivered or undelivered.

One delivery path: the webhook's receipts (:mod:`zns_notify.receipts.handlers`), receipts
that arrived before the worker recorded the send (:mod:`zns_notify.receipts.matching`) and
the reconciler (:mod:`zns_notify.receipts.reconcile`, ``GET /message/status``) all mark a
message delivered through :func:`_mark_delivered` (the common receipt on PostgreSQL through
:func:`deliver_at_once`: the same UPDATE and timeline row, in one statement with the event's
row), so that whichever comes first wins, the
others change nothing, and ``message_delivered`` is sent once, after the commit. Status only
moves forward: a conditional UPDATE from the statuses that may still advance is what proves
the caller made the transition. The two entry points differ only in what they do for a
message that can no longer advance:

- :func:`record_receipt` (Zalo's receipt): a message already final (failed, undelivered,
  fallen back to SMS…) gets a *late delivery*, recorded on the timeline and in
  ``delivered_at`` (Zalo may bill it), never a status change;
- :func:`record_delivered` (the reconciler): nothing; it lost the race.
"""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import nullcontext
from typing import Any, NamedTuple

from django.db import router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django.utils.translation import gettext as _

from zns_notify import signals
from zns_notify.fallback import receipts as fallback_receipts
from zns_notify.fallback import steps as fallback
from zns_notify.models import FallbackStep, Message, MessageEvent, WebhookEvent
from zns_notify.receipts import sql

logger = logging.getLogger(__name__)

Outcome = WebhookEvent.Outcome

#: A receipt can beat the worker's "sent" write (it matches by tracking_id).
ADVANCEABLE_TO_DELIVERED = (Message.Status.QUEUED, Message.Status.SENDING, Message.Status.SENT)


def record_receipt(
    pk: int,
    delivered_at: dt.datetime,
    msg_id: str,
    message: Message | None = None,
    *,
    step_status: str | None = fallback_receipts.LOOK_UP,
) -> tuple[str, str]:
    """Zalo says message ``pk`` (its ``msg_id``, or tracking id) reached the phone at
    ``delivered_at``: mark it delivered, forward only; a final message gets a late
    delivery. Returns the webhook event's outcome and detail. Call it inside a transaction.

    ``message``: the caller's instance of the row, updated in place when it advances.
    ``step_status``: its SMS fallback step's, when the caller read it with the message
    (None: it has none); by default it is looked up.
    """
    detail = f"user_received_message {msg_id}"
    if _mark_delivered(pk, delivered_at, detail, message, step_status):
        return Outcome.APPLIED, ""
    current = Message.objects.filter(pk=pk).values_list("status", flat=True).first()
    if current == Message.Status.DELIVERED:
        return Outcome.IGNORED, "already delivered"
    # Failed, undelivered (or fallen back to SMS, skipped, cancelled) already: the status
    # stays; delivered_at and the timeline record that Zalo delivered it after all.
    if not Message.objects.filter(pk=pk, delivered_at__isnull=True).update(
        delivered_at=delivered_at
    ):
        return Outcome.IGNORED, "late delivery already recorded"
    MessageEvent.objects.create(
        message_id=pk,
        kind=MessageEvent.Kind.RECEIPT,
        at=timezone.now(),
        status=current or "",
        detail=_(
            "Late delivery: Zalo reports that %(msg_id)s reached the phone at %(at)s, "
            "after the message was marked %(status)s. Zalo may bill it."
        )
        % {"msg_id": msg_id, "at": delivered_at.isoformat(), "status": current},
    )
    logger.warning(
        "zns message %s (%s) delivered late, after it was marked %s", pk, msg_id, current
    )
    fallback_receipts.on_receipt(pk, step_status)  # an SMS sent for it: a double cost
    return Outcome.LATE, f"delivered after the message was marked {current}"


def record_delivered(message: Message, delivered_at: dt.datetime, *, detail: str) -> bool:
    """Mark ``message`` delivered at ``delivered_at``; False if it already was, or is final.

    Writes a receipt on the timeline and sends ``message_delivered`` after the commit,
    only when this call made the transition (a repeated webhook or a reconciler that lost
    the race does nothing). Call it inside or outside a transaction.
    """
    with transaction.atomic(using=router.db_for_write(Message)):
        return _mark_delivered(message.pk, delivered_at, detail, message)


def _mark_delivered(
    pk: int,
    delivered_at: dt.datetime,
    detail: str,
    message: Message | None = None,
    step_status: str | None = fallback_receipts.LOOK_UP,
) -> bool:
    """Forward only: queued, sending or sent → delivered, with its timeline entry, its SMS
    fallback cancelled (or its double cost flagged) and ``message_delivered`` sent after
    the commit; False, changing nothing, when the message cannot advance. In the caller's
    transaction."""
    connection = sql.connection()
    moved, timeline = _delivered_sql(connection, pk, delivered_at, detail)
    with connection.cursor() as cursor:
        cursor.execute(
            f'{moved.sql} WHERE "id" = %s AND {moved.condition}',
            [*moved.params, pk, *moved.condition_params],
        )
        if cursor.rowcount != 1:
            return False
        cursor.execute(
            f"{timeline.sql} VALUES ({', '.join(['%s'] * len(timeline.params))})",
            timeline.params,
        )
    if message is not None:
        message.status, message.delivered_at = Message.Status.DELIVERED, delivered_at
        message.next_status_check_at = None
    # After the message's UPDATE (its row lock): cancel its SMS, or record the double cost.
    fallback_receipts.on_receipt(pk, step_status)
    transaction.on_commit(
        lambda: _announce_delivered(pk, message, delivered_at), using=connection.alias, robust=True
    )
    return True


class _Statement(NamedTuple):
    sql: str
    params: list[Any]
    condition: str = ""
    condition_params: tuple[str, ...] = ()


def _delivered_sql(
    connection: BaseDatabaseWrapper, pk: int | None, delivered_at: dt.datetime, detail: str
) -> tuple[_Statement, _Statement]:
    """The two writes of a message marked delivered, shared by both forms (the
    statements of :func:`_mark_delivered` and the one of :func:`deliver_at_once`): the
    message's UPDATE (its SET, and the ``condition`` that only lets it move forward) and the
    receipt's INSERT into the timeline (its columns; ``pk`` the message's, or None when the
    statement selects it)."""
    quote = connection.ops.quote_name
    moved = _Statement(
        # The reconciler's next check is moot once Zalo has told us.
        f'UPDATE {quote(Message._meta.db_table)} SET "status" = %s, "delivered_at" = %s, '
        '"next_status_check_at" = NULL',
        [Message.Status.DELIVERED.value, sql.db_datetime(connection, delivered_at)],
        '"status" IN (%s, %s, %s)',
        tuple(str(s) for s in ADVANCEABLE_TO_DELIVERED),
    )
    timeline = _Statement(
        f"INSERT INTO {quote(MessageEvent._meta.db_table)} "
        '("message_id", "kind", "at", "status", "error_code", "detail")',
        [
            *([] if pk is None else [pk]),
            MessageEvent.Kind.RECEIPT.value,
            sql.db_datetime(connection, timezone.now()),
            Message.Status.DELIVERED.value,
            None,
            detail[:2000],
        ],
    )
    return moved, timeline


def deliver_at_once(msg_id: str, delivered_at: dt.datetime, event: dict[str, Any]) -> bool:
    """Zalo's receipt for ``msg_id`` in one statement, on PostgreSQL: the message marked
    delivered as :func:`_mark_delivered` does, and the webhook event's row (``event``: field
    name → value) inserted, together or not at all; True when it did. False, having changed
    nothing, when this is not the common case: no message with this msg_id, one that cannot
    advance, one with an SMS fallback step, or another database. The caller then takes the
    general path (:func:`record_receipt`).

    One statement is one round trip and, outside a transaction, its own: through a real
    server the round trips are what a receipt costs (docs/performance.md). Inside the
    caller's transaction it runs in a savepoint, so that a redelivery's collision on the
    event's unique key leaves that transaction usable."""
    connection = sql.connection()
    if connection.vendor != "postgresql" or not msg_id:
        return False
    quote = connection.ops.quote_name
    table = quote(Message._meta.db_table)
    steps = quote(FallbackStep._meta.db_table)
    step_message = quote(FallbackStep._meta.get_field("message").column)
    detail = f"user_received_message {msg_id}"
    moved, timeline = _delivered_sql(connection, None, delivered_at, detail)
    columns, values = sql.insert_values(connection, WebhookEvent, event)
    statement = (
        # NOT (msg_id = ''): the msg_id index is partial. LIMIT 1 as find_message_row.
        f'WITH target AS (SELECT m."id" FROM {table} m WHERE m."msg_id" = %s '
        "AND NOT (m.\"msg_id\" = '') LIMIT 1), "
        # The UPDATE takes the row's lock and, if another transaction changed it meanwhile,
        # checks its condition again on the row as that one left it.
        f'moved AS ({moved.sql} WHERE "id" = (SELECT "id" FROM target) '
        f"AND {moved.condition} AND NOT EXISTS "
        f'(SELECT 1 FROM {steps} s WHERE s.{step_message} = {table}."id") '
        'RETURNING "id"), '
        f'timeline AS ({timeline.sql} SELECT moved."id", '
        f"{', '.join(['%s'] * len(timeline.params))} FROM moved), "
        f"stored AS (INSERT INTO {quote(WebhookEvent._meta.db_table)} ({columns}) "
        f"SELECT {', '.join(['%s'] * len(values))} FROM moved) "
        'SELECT "id" FROM moved'
    )
    params = [msg_id, *moved.params, *moved.condition_params, *timeline.params, *values]
    savepoint = transaction.atomic(using=connection.alias) if connection.in_atomic_block else None
    with savepoint or nullcontext(), connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    if row is None:
        return False
    transaction.on_commit(
        lambda: _announce_delivered(row[0], None, delivered_at), using=connection.alias, robust=True
    )
    return True


def _announce_delivered(pk: int, message: Message | None, delivered_at: dt.datetime) -> None:
    if not signals.message_delivered.has_listeners(Message):
        return  # nobody listens: no need to load the message
    if message is None:
        message = Message.objects.filter(pk=pk).first()
    if message is not None:
        signals.announce(signals.message_delivered, message=message, delivered_at=delivered_at)


def record_undelivered(message: Message, reason: str) -> bool:
    """Mark a sent ``message`` undelivered (final; Zalo does not bill it); False if it is
    no longer "sent" (a receipt came meanwhile). Sends ``message_undelivered`` after the
    commit when this call made the transition."""
    now = timezone.now()
    with transaction.atomic(using=router.db_for_write(Message)):
        moved = Message.objects.filter(pk=message.pk, status=Message.Status.SENT).update(
            status=Message.Status.UNDELIVERED,
            error_message=reason[:2000],
            next_status_check_at=None,
        )
        if not moved:
            return False
        message.status, message.error_message = Message.Status.UNDELIVERED, reason[:2000]
        message.next_status_check_at = None
        MessageEvent.objects.create(
            message=message,
            kind=MessageEvent.Kind.NOTE,
            at=now,
            status=Message.Status.UNDELIVERED,
            detail=reason[:2000],
        )
        signals.announce_on_commit(
            signals.message_undelivered,
            using=router.db_for_write(Message),
            message=message,
            reason=reason,
        )
        fallback.on_undelivered(message, now)
    logger.info("zns message %s undelivered: %s", message.pk, reason)
    return True
