"""What a verified Zalo webhook does: stored once for audit, then applied idempotently.

:func:`receive` is called by the view (:mod:`zns_notify.receipts.views`) with an event whose
signature, app id, timestamp and size have been checked. In one transaction it applies the
event and stores it as a :class:`~zns_notify.models.WebhookEvent` whose unique
``dedup_key`` arbitrates: a redelivery (Zalo retries with the same body) collides with the
stored row, its effects roll back, and it changes nothing. An event whose processing
raised is stored as ``error`` (not processed) and processed again when Zalo retries it.

A message's status only moves forward (queued → sending → sent → delivered). A receipt for
a message already failed or undelivered is a *late delivery*: recorded on the timeline and
in ``delivered_at`` (Zalo may bill it), never a status change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zns_notify import signals
from zns_notify.fallback import receipts as fallback_receipts
from zns_notify.models import (
    Binding,
    FallbackStep,
    Message,
    MessageEvent,
    MessageFeedback,
    SendingHold,
    Template,
    WebhookEvent,
    ZaloAccount,
)

logger = logging.getLogger(__name__)

RECEIVED = "user_received_message"
TEMPLATE_STATUS = "change_template_status"
TEMPLATE_QUALITY = "change_template_quality"
DAILY_QUOTA = "change_oa_daily_quota"
FEEDBACK = "user_feedback"

Outcome = WebhookEvent.Outcome
ADVANCEABLE_TO_DELIVERED = (Message.Status.QUEUED, Message.Status.SENDING, Message.Status.SENT)


@dataclass
class Incoming:
    """A verified event, before it is applied."""

    name: str
    payload: dict[str, Any]
    body: str
    app_id: str
    signed_at: dt.datetime | None
    received_at: dt.datetime = field(default_factory=timezone.now)
    subject: str = ""
    dedup_key: str = ""


class _AlreadyProcessed(Exception):
    """Another delivery of the same event was processed meanwhile: roll this one back."""


# -- entry point ---------------------------------------------------------------------------


def receive(
    body: bytes, payload: dict[str, Any], app_id: str, signed_at: dt.datetime | None
) -> str:
    """Apply and store one verified event; return its outcome (``duplicate`` for a
    redelivery). Raises when processing fails: the view answers 500 so Zalo retries."""
    incoming = Incoming(
        name=text(payload.get("event_name"), 64),
        payload=payload,
        body=body.decode("utf-8"),
        app_id=app_id,
        signed_at=signed_at,
    )
    handler = HANDLERS.get(incoming.name)
    identity = handler.identity(incoming) if handler else None
    incoming.dedup_key = hashlib.sha256(
        f"{incoming.name}|{identity}".encode() if identity else body
    ).hexdigest()
    try:
        try:
            outcome = _process(incoming, handler)
            if outcome == Outcome.UNMATCHED and incoming.name == RECEIVED:
                outcome = _match_after_commit(incoming)
            return outcome
        except IntegrityError:
            existing = WebhookEvent.objects.filter(dedup_key=incoming.dedup_key).first()
            if existing is None:
                raise
            if existing.processed_at is not None:
                return "duplicate"
            # A delivery whose processing failed earlier: this retry processes it.
            return _process(incoming, handler, existing=existing)
    except _AlreadyProcessed:
        return "duplicate"
    except Exception as exc:
        _store_error(incoming, exc)
        raise


def _match_after_commit(incoming: Incoming) -> str:
    """An early receipt, looked up once more now that it is committed. On PostgreSQL the
    worker may have stored the msg_id between our lookup and our commit, with its own
    look for early receipts done before ours was visible; each side looks again after its
    own commit, so one of them sees the other (the UPDATE lets only one apply it)."""
    msg_id, tracking_id = _message_ids(incoming)
    found = _find_message_row(msg_id, tracking_id)
    if found is None:
        return Outcome.UNMATCHED
    with transaction.atomic(using=_db().alias):
        event = (
            WebhookEvent.objects.select_for_update()
            .filter(dedup_key=incoming.dedup_key, outcome=Outcome.UNMATCHED)
            .first()
        )
        if event is None:
            return Outcome.APPLIED  # the worker applied it meanwhile
        outcome, detail = _deliver_stored(event, found[0], msg_id or tracking_id)
    return str(outcome)


def _deliver_stored(
    event: WebhookEvent, pk: int, msg_id: str, message: Message | None = None
) -> tuple[str, str]:
    data = _object(_loads(event.body).get("message"))
    delivered_at = from_ms(data.get("delivery_time")) or event.signed_at or timezone.now()
    outcome, detail = deliver(pk, delivered_at, msg_id, message)
    WebhookEvent.objects.filter(pk=event.pk).update(
        outcome=outcome, detail=detail, processed_at=timezone.now()
    )
    return outcome, detail


def _process(
    incoming: Incoming, handler: EventHandler | None, existing: WebhookEvent | None = None
) -> str:
    with transaction.atomic(using=_db().alias):
        if handler is None:
            outcome, detail = Outcome.IGNORED, "no handler for this event"
        else:
            outcome, detail = handler.apply(incoming)
        values = _row_values(incoming, outcome=outcome, detail=detail, processed_at=timezone.now())
        if existing is None:
            # Last, so that a redelivery's IntegrityError undoes everything it did.
            _insert_event(incoming.dedup_key, values)
        elif not WebhookEvent.objects.filter(pk=existing.pk, processed_at__isnull=True).update(
            **values
        ):
            raise _AlreadyProcessed
    return str(outcome)


def _row_values(incoming: Incoming, **values: Any) -> dict[str, Any]:
    return dict(
        event_name=incoming.name,
        app_id=incoming.app_id[:64],
        subject=incoming.subject[:64],
        received_at=incoming.received_at,
        signed_at=incoming.signed_at,
        body=incoming.body,
        **values,
    )


def _store_error(incoming: Incoming, exc: Exception) -> None:
    """Keep the event for audit, unprocessed, so Zalo's retry processes it again."""
    logger.exception("Zalo webhook %s failed; answered 500 so that Zalo retries it", incoming.name)
    try:
        values = _row_values(
            incoming,
            outcome=Outcome.ERROR,
            processed_at=None,
            detail=f"{type(exc).__name__}: {exc}"[:2000],
        )
        WebhookEvent.objects.filter(dedup_key=incoming.dedup_key, processed_at__isnull=True).update(
            **values
        ) or WebhookEvent.objects.create(dedup_key=incoming.dedup_key, **values)
    except Exception:  # the database itself may be what failed
        logger.exception("Could not store the failed Zalo webhook %s", incoming.name)


# -- plain SQL for the hot path (a receipt per message sent) ------------------------------
# The ORM costs more than the statements themselves here; these are the same statements,
# written once. Tables and columns come from the models' _meta.


def _db():
    return connections[router.db_for_write(Message)]


def _dt(connection, value: dt.datetime | None):
    return connection.ops.adapt_datetimefield_value(value) if value is not None else None


def _insert_event(dedup_key: str, values: dict[str, Any]) -> None:
    connection = _db()
    columns = ["dedup_key", *values]
    params = [dedup_key] + [
        _dt(connection, v) if isinstance(v, dt.datetime) else v for v in values.values()
    ]
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        connection.ops.quote_name(WebhookEvent._meta.db_table),
        ", ".join(
            connection.ops.quote_name(WebhookEvent._meta.get_field(c).column) for c in columns
        ),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [str(p) if isinstance(p, WebhookEvent.Outcome) else p for p in params])


def _find_message_row(msg_id: str, tracking_id: str) -> tuple[int, str, str | None] | None:
    """(pk, status, its SMS fallback step's status or None) by Zalo's msg_id, else by
    tracking_id (our idempotency key); the message row locked. The step comes with the
    message in the same statement, so that a receipt for a message without one (most of
    them) costs no statement more (docs/fallback.md)."""
    connection = _db()
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
        for value, sql in lookups:
            if value:
                cursor.execute(sql, [value])
                row = cursor.fetchone()
                if row is not None:
                    return row[0], row[1], row[2]
    return None


def _mark_delivered(pk: int, delivered_at: dt.datetime, detail: str) -> bool:
    """Forward only: queued, sending or sent → delivered, with its timeline entry."""
    connection = _db()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            # The reconciler's next check is moot once Zalo has told us.
            f'UPDATE {quote(Message._meta.db_table)} SET "status" = %s, "delivered_at" = %s, '
            '"next_status_check_at" = NULL WHERE "id" = %s AND "status" IN (%s, %s, %s)',
            [
                Message.Status.DELIVERED.value,
                _dt(connection, delivered_at),
                pk,
                *(str(s) for s in ADVANCEABLE_TO_DELIVERED),
            ],
        )
        if cursor.rowcount != 1:
            return False
        cursor.execute(
            f"INSERT INTO {quote(MessageEvent._meta.db_table)} "
            '("message_id", "kind", "at", "status", "error_code", "detail") '
            "VALUES (%s, %s, %s, %s, NULL, %s)",
            [
                pk,
                MessageEvent.Kind.RECEIPT.value,
                _dt(connection, timezone.now()),
                Message.Status.DELIVERED.value,
                detail,
            ],
        )
    return True


# -- helpers ----------------------------------------------------------------------------


def text(value: Any, limit: int) -> str:
    """A string field of Zalo's JSON as text ("" for objects, lists, null), without NUL
    (PostgreSQL refuses it) or lone surrogates (JSON allows "\\ud800"; UTF-8 does not),
    cut to ``limit``."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    value = str(value)[:limit]
    if not value.isascii():
        value = value.encode("utf-8", "ignore").decode("utf-8")
    return value.replace("\x00", "")


def number(value: Any) -> int | None:
    """An integer sent as a number or a string of digits; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and len(value) < 20:
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def from_ms(value: Any) -> dt.datetime | None:
    """Epoch milliseconds (number or string) as an aware datetime."""
    ms = number(value)
    if ms is None:
        return None
    try:
        return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _find_message(msg_id: str, tracking_id: str, *, lock: bool = False) -> Message | None:
    """By Zalo's msg_id, else by tracking_id (our idempotency key)."""
    messages = Message.objects.select_for_update() if lock else Message.objects.all()
    if msg_id:
        # exclude(msg_id=""): the msg_id index is partial; SQLite uses it only then.
        found = messages.filter(msg_id=msg_id).exclude(msg_id="").order_by().first()
        if found is not None:
            return found
    if tracking_id:
        return messages.filter(idempotency_key=tracking_id).first()
    return None


def _superseded(incoming: Incoming) -> bool:
    """A newer event of the same kind about the same thing was applied already (Zalo's
    retries can deliver an old change after a newer one)."""
    if incoming.signed_at is None:
        return False
    return WebhookEvent.objects.filter(
        event_name=incoming.name,
        subject=incoming.subject,
        outcome=Outcome.APPLIED,
        signed_at__gt=incoming.signed_at,
    ).exists()


# -- handlers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EventHandler:
    #: The event's identity for deduplication (None: the raw body's hash); also sets
    #: ``incoming.subject``.
    identity: Callable[[Incoming], str | None]
    apply: Callable[[Incoming], tuple[str, str]]


def _message_ids(incoming: Incoming) -> tuple[str, str]:
    data = _object(incoming.payload.get("message"))
    msg_id = text(data.get("msg_id") or incoming.payload.get("msg_id"), 64)
    return msg_id, text(data.get("tracking_id"), 64)


def _receipt_identity(incoming: Incoming) -> str | None:
    msg_id, tracking_id = _message_ids(incoming)
    incoming.subject = msg_id or tracking_id
    if msg_id:
        return f"msg_id:{msg_id}"
    return f"tracking_id:{tracking_id}" if tracking_id else None


def _apply_receipt(incoming: Incoming) -> tuple[str, str]:
    """user_received_message: the message reached the customer's phone."""
    msg_id, tracking_id = _message_ids(incoming)
    if not (msg_id or tracking_id):
        return Outcome.IGNORED, "no msg_id or tracking_id"
    data = _object(incoming.payload.get("message"))
    delivered_at = from_ms(data.get("delivery_time")) or incoming.signed_at or timezone.now()
    found = _find_message_row(msg_id, tracking_id)
    if found is None:
        # Zalo's receipt can beat the worker's write of msg_id: kept, and applied when the
        # worker records the msg_id (apply_early_receipts).
        logger.info("Zalo receipt for %s before its message is known; kept", msg_id)
        return Outcome.UNMATCHED, "no message with this msg_id or tracking_id yet"
    return deliver(found[0], delivered_at, msg_id or tracking_id, step_status=found[2])


def deliver(
    pk: int,
    delivered_at: dt.datetime,
    msg_id: str,
    message: Message | None = None,
    *,
    step_status: str | None = fallback_receipts.LOOK_UP,
) -> tuple[str, str]:
    """Mark message ``pk`` delivered, forward only; a final message gets a late delivery.
    ``step_status``: its SMS fallback step's, when the caller read it with the message
    (None: it has none); by default it is looked up."""
    if _mark_delivered(pk, delivered_at, f"user_received_message {msg_id}"):
        if message is not None:
            message.status, message.delivered_at = Message.Status.DELIVERED, delivered_at
        # After the message's UPDATE (its row lock): cancel its SMS, or record the double cost.
        fallback_receipts.on_receipt(pk, step_status)
        transaction.on_commit(
            lambda: _announce_delivered(pk, message, delivered_at), using=_db().alias, robust=True
        )
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


def _announce_delivered(pk: int, message: Message | None, delivered_at: dt.datetime) -> None:
    if not signals.message_delivered.has_listeners(Message):
        return  # nobody listens: no need to load the message
    if message is None:
        message = Message.objects.filter(pk=pk).first()
    if message is not None:
        signals.announce(signals.message_delivered, message=message, delivered_at=delivered_at)


def apply_early_receipts(message: Message) -> None:
    """The worker just stored ``message.msg_id``: apply a receipt that arrived before it.

    Called inside the worker's transaction (zns_notify.sending.send)."""
    if not message.msg_id:
        return
    early = WebhookEvent.objects.filter(
        event_name=RECEIVED, subject=message.msg_id, outcome=Outcome.UNMATCHED
    )
    for event in early:
        _deliver_stored(event, message.pk, message.msg_id, message)
    if _db().in_atomic_block:
        # A receipt committed while this transaction was open is invisible to it: look
        # again once this commits (see _match_after_commit for the other side).
        transaction.on_commit(
            lambda: _apply_early_receipts_committed(message.pk), using=_db().alias, robust=True
        )


def apply_early_receipts_many(messages: list[Message]) -> None:
    """:func:`apply_early_receipts` for a batch the worker recorded in one transaction:
    one lookup for all of them, and after the commit one more, without a lock or a
    transaction unless it finds something (early receipts are rare)."""
    sent = {message.msg_id: message for message in messages if message.msg_id}
    if not sent:
        return
    early = WebhookEvent.objects.filter(
        event_name=RECEIVED, subject__in=list(sent), outcome=Outcome.UNMATCHED
    )
    for event in early:
        message = sent[event.subject]
        _deliver_stored(event, message.pk, message.msg_id, message)
    if _db().in_atomic_block:
        pks = {msg_id: message.pk for msg_id, message in sent.items()}
        transaction.on_commit(
            lambda: _apply_early_receipts_committed_many(pks), using=_db().alias, robust=True
        )


def _apply_early_receipts_committed_many(pks: dict[str, int]) -> None:
    found = WebhookEvent.objects.filter(
        event_name=RECEIVED, subject__in=list(pks), outcome=Outcome.UNMATCHED
    ).values_list("subject", flat=True)
    for msg_id in set(found):
        _apply_early_receipts_committed(pks[msg_id])


def _apply_early_receipts_committed(pk: int) -> None:
    with transaction.atomic(using=_db().alias):
        message = Message.objects.filter(pk=pk).first()
        if message is None or not message.msg_id:
            return
        early = WebhookEvent.objects.select_for_update().filter(
            event_name=RECEIVED, subject=message.msg_id, outcome=Outcome.UNMATCHED
        )
        for event in early:
            _deliver_stored(event, pk, message.msg_id)


def _loads(body: str) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _template_identity(incoming: Incoming) -> None:
    incoming.subject = text(incoming.payload.get("template_id"), 32)
    return None


def _apply_template_status(incoming: Incoming) -> tuple[str, str]:
    """change_template_status: Zalo approved, rejected, disabled or re-enabled a template."""
    status = incoming.payload.get("status")
    if isinstance(status, dict):
        previous, new = text(status.get("prev_status"), 32), text(status.get("new_status"), 32)
    else:
        previous, new = "", text(status, 32)
    new = new.strip().upper()
    template = Template.objects.select_for_update().filter(template_id=incoming.subject).first()
    if template is None or not new:
        return Outcome.IGNORED, "unknown template" if template is None else "no new status"
    if _superseded(incoming):
        return Outcome.STALE, "a newer status change was applied already"
    if incoming.signed_at and template.synced_at and incoming.signed_at < template.synced_at:
        # A retry that arrives after a sync read the template from Zalo: the sync is newer.
        return Outcome.STALE, "the last template sync is newer than this change"
    reason = text(incoming.payload.get("reason"), 2000)
    note = _("Zalo changed the status from %(old)s to %(new)s.") % {
        "old": previous or template.status,
        "new": new,
    }
    Template.objects.filter(pk=template.pk).update(status=new, reason=reason, sync_note=note)
    if new == Template.Status.ENABLE:
        # Its held messages go now; if Zalo still refuses them, the next send holds again.
        from zns_notify.account import holds

        holds.release(SendingHold.objects.filter(template=template, until__gt=timezone.now()))
        return Outcome.APPLIED, ""
    bound = Binding.objects.filter(template=template, is_active=True).count()
    if bound:
        # binding_validation.fitness_problems flags them (admin, check W003); the worker
        # holds their messages until the template is ENABLE again.
        logger.warning(
            "zns template %s is now %s on Zalo: %d active binding(s) wait for it",
            template.template_id,
            new,
            bound,
        )
    return Outcome.APPLIED, f"{bound} active binding(s) no longer sendable"


def _apply_template_quality(incoming: Incoming) -> tuple[str, str]:
    """change_template_quality: HIGH, MEDIUM, LOW or UNDEFINED."""
    quality = text(incoming.payload.get("quality"), 16).strip().upper()
    template = Template.objects.filter(template_id=incoming.subject).first()
    if template is None or not quality:
        return Outcome.IGNORED, "unknown template" if template is None else "no quality"
    if _superseded(incoming):
        return Outcome.STALE, "a newer quality change was applied already"
    Template.objects.filter(pk=template.pk).update(quality=quality)
    if quality == "LOW":
        logger.warning("zns template %s quality is LOW on Zalo", template.template_id)
    return Outcome.APPLIED, ""


def _quota_identity(incoming: Incoming) -> None:
    payload = incoming.payload
    incoming.subject = text(payload.get("oaId") or payload.get("oa_id"), 64)
    return None


def _apply_daily_quota(incoming: Incoming) -> tuple[str, str]:
    """change_oa_daily_quota (``oaId`` in camelCase): the OA moved to another tier."""
    from zns_notify.account import quota

    values = _object(incoming.payload.get("quota"))
    new, previous = number(values.get("new_value")), number(values.get("prev_value"))
    if new is None or new < 0:
        return Outcome.IGNORED, "no new_value"
    account = ZaloAccount.objects.filter(oa_id=incoming.subject).exclude(oa_id="").first()
    if account is None:
        current = ZaloAccount.objects.current()
        account = current if current is not None and not current.oa_id else None
    if account is None:
        return Outcome.IGNORED, "unknown OA"
    if _superseded(incoming):
        return Outcome.STALE, "a newer quota change was applied already"
    row = quota.record_daily_quota(account, min(new, 2**31 - 1), previous)
    logger.info("zns daily quota of OA %s changed: %s -> %s", incoming.subject, previous, new)
    return Outcome.APPLIED, f"daily quota {row.daily_quota}, remaining {row.remaining_quota}"


def _feedback_identity(incoming: Incoming) -> str | None:
    msg_id, tracking_id = _message_ids(incoming)
    incoming.subject = msg_id or tracking_id
    submitted = text(_object(incoming.payload.get("message")).get("submit_time"), 20)
    return f"{msg_id}|{tracking_id}|{submitted}" if (msg_id or tracking_id) else None


def _apply_feedback(incoming: Incoming) -> tuple[str, str]:
    """user_feedback: the customer's answer to a rating template."""
    data = incoming.payload.get("message")
    if not isinstance(data, dict):
        return Outcome.IGNORED, "no message object"
    msg_id, tracking_id = _message_ids(incoming)
    message = _find_message(msg_id, tracking_id) if (msg_id or tracking_id) else None
    rate = number(data.get("rate"))
    answers = data.get("feedbacks")
    MessageFeedback.objects.create(
        message=message,
        msg_id=msg_id,
        tracking_id=tracking_id,
        rating_type=text(data.get("rating_type"), 32),
        option=text(data.get("option"), 32),
        rate=rate if rate is not None and -32768 <= rate <= 32767 else None,
        note=text(data.get("note"), 2000),
        feedbacks=[text(a, 500) for a in answers[:50]] if isinstance(answers, list) else [],
        submitted_at=from_ms(data.get("submit_time")),
        received_at=incoming.received_at,
    )
    if message is None:
        return Outcome.UNMATCHED, "rating stored without its message"
    return Outcome.APPLIED, ""


HANDLERS: dict[str, EventHandler] = {
    RECEIVED: EventHandler(_receipt_identity, _apply_receipt),
    TEMPLATE_STATUS: EventHandler(_template_identity, _apply_template_status),
    TEMPLATE_QUALITY: EventHandler(_template_identity, _apply_template_quality),
    DAILY_QUOTA: EventHandler(_quota_identity, _apply_daily_quota),
    FEEDBACK: EventHandler(_feedback_identity, _apply_feedback),
}
