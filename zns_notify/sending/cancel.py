"""Cancelling a message still waiting for the worker (queued, or deferred: queued with a
later next attempt), the one way for every caller: an operator's cancel
(:mod:`zns_notify.log.actions`) and a one-time code that stopped being live
(:mod:`zns_notify.otp.withdrawal`).

The UPDATE requires the status the caller read, so a worker that claimed the message in
between (queued → sending) keeps it and nothing is written: a message is never both on
the wire and cancelled.
"""

from __future__ import annotations

import datetime as dt

from django.db import router, transaction
from django.utils import timezone

from zns_notify import signals
from zns_notify.models import Message, MessageEvent

#: Only these can be cancelled: a message being sent ("sending") belongs to its worker.
WAITING = Message.Status.QUEUED


def cancel_waiting(
    message: Message,
    *,
    rule: str,
    reason: str,
    payload: dict | None = None,
    at: dt.datetime | None = None,
    using: str | None = None,
) -> bool:
    """Cancel ``message`` if it is still waiting; False (nothing written) when it is not.

    ``rule`` is stored as its error category and is ``message_skipped``'s ``rule`` (sent
    after the commit); ``reason`` is its error message and the timeline note's text,
    ``payload`` the note's. Runs in the caller's transaction when there is one, so the
    cancellation commits or rolls back with what caused it."""
    using = using or router.db_for_write(Message)
    at = at or timezone.now()
    reason = reason[:2000]
    fields = dict(
        status=Message.Status.CANCELLED,
        next_attempt_at=None,
        relayed_at=None,
        error_code=None,
        error_category=rule,
        error_message=reason,
    )
    with transaction.atomic(using=using):
        waiting = Message.objects.using(using).filter(pk=message.pk, status=WAITING)
        if not waiting.update(**fields):
            return False
        for attribute, value in fields.items():
            setattr(message, attribute, value)
        MessageEvent.objects.using(using).create(
            message=message,
            kind=MessageEvent.Kind.NOTE,
            at=at,
            status=message.status,
            detail=reason,
            payload=payload,
        )
        signals.announce_on_commit(
            signals.message_skipped, using=using, message=message, rule=rule, reason=reason
        )
    return True
