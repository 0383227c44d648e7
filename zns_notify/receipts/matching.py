"""Which message a receipt is about, also when the receipt came first.

A ``user_received_message`` names the message by Zalo's ``msg_id`` and by our tracking id
(the message's idempotency key): :func:`find_message_row` finds it by either, in one
statement. Zalo's receipt can beat the worker's write of the msg_id: it is then stored as
``unmatched`` (:mod:`zns_notify.receipts.inbox`), and applied when the worker records the
msg_id (:func:`apply_early_receipts`, called by :mod:`zns_notify.sending`) or, when both
commit at the same time, by whichever side looks again after its own commit
(:func:`match_after_commit`). Either way it goes through the one delivery path
(:func:`zns_notify.receipts.delivery.record_receipt`), whose conditional UPDATE lets only
one of them apply it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from zns_notify.models import FallbackStep, Message, WebhookEvent
from zns_notify.receipts import sql
from zns_notify.receipts.delivery import record_receipt
from zns_notify.zalo import webhooks as zalo_webhooks

Outcome = WebhookEvent.Outcome


def find_message_row(msg_id: str, tracking_id: str) -> tuple[int, str, str | None] | None:
    """(pk, status, its SMS fallback step's status or None) by Zalo's msg_id, else by
    tracking_id (our idempotency key); the message row locked. The step comes with the
    message in the same statement, so that a receipt for a message without one (most of
    them) costs no statement more (docs/fallback.md)."""
    connection = sql.connection()
    qn = connection.ops.quote_name
    table, steps = qn(Message._meta.db_table), qn(FallbackStep._meta.db_table)
    step_message = qn(FallbackStep._meta.get_field("message").column)
    if connection.features.has_select_for_update_of:
        lock = " FOR UPDATE OF m"  # the step's side of the outer join cannot be locked
    else:
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    select = (
        f'SELECT m."id", m."status", s."status" FROM {table} m '
        f'LEFT OUTER JOIN {steps} s ON s.{step_message} = m."id" WHERE '
    )
    lookups = (
        # NOT (msg_id = ''): the msg_id index is partial; SQLite uses it only then.
        (msg_id, f'{select}m."msg_id" = %s AND NOT (m."msg_id" = \'\') LIMIT 1{lock}'),
        (tracking_id, f'{select}m."idempotency_key" = %s{lock}'),
    )
    with connection.cursor() as cursor:
        for value, statement in lookups:
            if value:
                cursor.execute(statement, [value])
                row = cursor.fetchone()
                if row is not None:
                    return row[0], row[1], row[2]
    return None


def match_after_commit(dedup_key: str, msg_id: str, tracking_id: str) -> str:
    """An early receipt (stored ``unmatched`` under ``dedup_key``), looked up once more now
    that it is committed; returns its outcome. On PostgreSQL the worker may have stored the
    msg_id between our lookup and our commit, with its own look for early receipts done
    before ours was visible; each side looks again after its own commit, so one of them
    sees the other (the UPDATE lets only one apply it)."""
    found = find_message_row(msg_id, tracking_id)
    if found is None:
        return Outcome.UNMATCHED
    with transaction.atomic(using=sql.connection().alias):
        event = (
            WebhookEvent.objects.select_for_update()
            .filter(dedup_key=dedup_key, outcome=Outcome.UNMATCHED)
            .first()
        )
        if event is None:
            return Outcome.APPLIED  # the worker applied it meanwhile
        outcome, _detail = _deliver_stored(event, found[0], msg_id or tracking_id)
    return str(outcome)


def apply_early_receipts(message: Message) -> None:
    """The worker just stored ``message.msg_id``: apply a receipt that arrived before it.

    Called inside the worker's transaction (:mod:`zns_notify.sending.send`)."""
    if not message.msg_id:
        return
    early = WebhookEvent.objects.filter(
        event_name=zalo_webhooks.RECEIVED, subject=message.msg_id, outcome=Outcome.UNMATCHED
    )
    for event in early:
        _deliver_stored(event, message.pk, message.msg_id, message)
    if sql.connection().in_atomic_block:
        # A receipt committed while this transaction was open is invisible to it: look
        # again once this commits (see match_after_commit for the other side).
        transaction.on_commit(
            lambda: _apply_early_receipts_committed(message.pk),
            using=sql.connection().alias,
            robust=True,
        )


def apply_early_receipts_many(messages: list[Message]) -> None:
    """:func:`apply_early_receipts` for a batch the worker recorded in one transaction:
    one lookup for all of them, and after the commit one more, without a lock or a
    transaction unless it finds something (early receipts are rare)."""
    sent = {message.msg_id: message for message in messages if message.msg_id}
    if not sent:
        return
    early = WebhookEvent.objects.filter(
        event_name=zalo_webhooks.RECEIVED, subject__in=list(sent), outcome=Outcome.UNMATCHED
    )
    for event in early:
        message = sent[event.subject]
        _deliver_stored(event, message.pk, message.msg_id, message)
    if sql.connection().in_atomic_block:
        pks = {msg_id: message.pk for msg_id, message in sent.items()}
        transaction.on_commit(
            lambda: _apply_early_receipts_committed_many(pks),
            using=sql.connection().alias,
            robust=True,
        )


def _apply_early_receipts_committed_many(pks: dict[str, int]) -> None:
    found = WebhookEvent.objects.filter(
        event_name=zalo_webhooks.RECEIVED, subject__in=list(pks), outcome=Outcome.UNMATCHED
    ).values_list("subject", flat=True)
    for msg_id in set(found):
        _apply_early_receipts_committed(pks[msg_id])


def _apply_early_receipts_committed(pk: int) -> None:
    with transaction.atomic(using=sql.connection().alias):
        message = Message.objects.filter(pk=pk).first()
        if message is None or not message.msg_id:
            return
        early = WebhookEvent.objects.select_for_update().filter(
            event_name=zalo_webhooks.RECEIVED, subject=message.msg_id, outcome=Outcome.UNMATCHED
        )
        for event in early:
            _deliver_stored(event, pk, message.msg_id)


def _deliver_stored(
    event: WebhookEvent, pk: int, msg_id: str, message: Message | None = None
) -> tuple[str, str]:
    """Apply a stored early receipt to message ``pk`` and record its outcome on it."""
    payload = zalo_webhooks.parse_payload(event.body) or {}
    delivered_at = zalo_webhooks.delivery_time(payload) or event.signed_at or timezone.now()
    outcome, detail = record_receipt(pk, delivered_at, msg_id, message)
    WebhookEvent.objects.filter(pk=event.pk).update(
        outcome=outcome, detail=detail, processed_at=timezone.now()
    )
    return outcome, detail
