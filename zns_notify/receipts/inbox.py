"""What a verified Zalo webhook does: stored once for audit, then applied idempotently.

:func:`receive` is called by the view (:mod:`zns_notify.receipts.views`) with an event whose
signature, app id, timestamp and size have been checked. In one transaction it applies the
event (its handler in :mod:`zns_notify.receipts.handlers`) and stores it as a
:class:`~zns_notify.models.WebhookEvent` whose unique ``dedup_key`` arbitrates: a
redelivery (Zalo retries with the same body) collides with the stored row, its effects roll
back, and it changes nothing. An event whose processing raised is stored as ``error`` (not
processed) and processed again when Zalo retries it.

A handler may also have a one-statement form for its common case (the receipt of a sent
message, on PostgreSQL: :func:`zns_notify.receipts.delivery.deliver_at_once`), tried first:
it applies and stores the event in one statement with no transaction around it, or does
nothing and the transaction above decides as usual.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from zns_notify.lib import json_bounds, reconnect
from zns_notify.models import WebhookEvent
from zns_notify.receipts import sql
from zns_notify.receipts.handlers import HANDLERS, EventHandler, Incoming
from zns_notify.receipts.matching import match_after_commit
from zns_notify.zalo.webhooks import RECEIVED, message_ids, text

logger = logging.getLogger(__name__)

Outcome = WebhookEvent.Outcome


class _AlreadyProcessed(Exception):
    """Another delivery of the same event was processed meanwhile: roll this one back."""


def receive(
    body: bytes, payload: dict[str, Any], app_id: str, signed_at: dt.datetime | None
) -> str:
    """Apply and store one verified event; return its outcome (``duplicate`` for a
    redelivery). Raises when processing fails: the view answers 500 so Zalo retries (503
    when the database connection was lost: then nothing is stored, not even the error)."""
    incoming = Incoming(
        name=text(payload.get("event_name"), 64),
        payload=payload,
        # The raw body, for audit; rebuilt within bounds when nested deeper than any event
        # of Zalo's (a signed body of a few KB can nest hundreds of levels deep, and every
        # page that shows it would have to walk it).
        body=json_bounds.bounded_text(body.decode("utf-8"), payload),
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
            outcome = _process_at_once(incoming, handler) or _process(incoming, handler)
            if outcome == Outcome.UNMATCHED and incoming.name == RECEIVED:
                outcome = match_after_commit(incoming.dedup_key, *message_ids(payload))
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
        if reconnect.connection_lost(exc, sql.connection().alias):
            raise  # nothing can be stored now; the view answers so that Zalo posts it again
        _store_error(incoming, exc)
        raise


def _process_at_once(incoming: Incoming, handler: EventHandler | None) -> str | None:
    """The handler's one-statement form, where it has one (the common receipt, on
    PostgreSQL): the event applied and its row stored by one statement, with no transaction
    around it; None when that form did nothing (it does not apply, or the database cannot),
    and :func:`_process` decides. A redelivery's row collides as in :func:`_process`."""
    if handler is None or handler.apply_at_once is None:
        return None
    values = _row_values(incoming, outcome=Outcome.APPLIED, detail="", processed_at=timezone.now())
    if not handler.apply_at_once(incoming, {"dedup_key": incoming.dedup_key, **values}):
        return None
    return str(Outcome.APPLIED)


def _process(
    incoming: Incoming, handler: EventHandler | None, existing: WebhookEvent | None = None
) -> str:
    with transaction.atomic(using=sql.connection().alias):
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


def _insert_event(dedup_key: str, values: dict[str, Any]) -> None:
    """The event's row, in plain SQL (:mod:`zns_notify.receipts.sql`): one per receipt."""
    connection = sql.connection()
    columns, params = sql.insert_values(
        connection, WebhookEvent, {"dedup_key": dedup_key, **values}
    )
    statement = "INSERT INTO {} ({}) VALUES ({})".format(
        connection.ops.quote_name(WebhookEvent._meta.db_table),
        columns,
        ", ".join(["%s"] * len(params)),
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
