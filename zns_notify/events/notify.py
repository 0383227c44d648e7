"""Entry points for order events: ``notify()`` and the incoming signals."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db import DatabaseError
from django.db.models import QuerySet

from zns_notify import signals
from zns_notify.events.outbox import write_messages
from zns_notify.models import Message

logger = logging.getLogger(__name__)

#: Also the schema's pattern (ECMA, where ``$`` ends the text): checked with fullmatch, as
#: Python's ``$`` also matches before a trailing newline.
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


def notify(event: str, obj: Any, **extra: Any) -> QuerySet[Message]:
    """Record that ``event`` happened to ``obj`` (an order) and queue its messages.

    Call it inside the transaction that changes the order: the messages are written in
    that transaction and sent only once it commits. Extra keyword arguments become
    variables in binding expressions, except ``development_mode``: ``True``/``False``
    sends these messages in Zalo's development mode or not, whatever ``DEVELOPMENT_MODE``
    says. Returns the event's messages as a lazy queryset (evaluating it costs a query).
    """
    keys = _record(event, obj, extra)
    return Message.objects.filter(idempotency_key__in=keys)


def _record(event: str, obj: Any, extra: dict[str, Any]) -> list[str]:
    if not isinstance(event, str) or not EVENT_NAME.fullmatch(event):
        raise ValueError(f"Invalid event name {event!r}: use lowercase letters, digits and _ . -")
    if getattr(obj, "pk", None) is None:
        raise ValueError("notify() needs a saved object: save the order first.")
    development_mode = extra.pop("development_mode", None)
    return write_messages(event, obj, extra, development_mode=development_mode)


def notify_safely(event: str, obj: Any, **extra: Any) -> None:
    """notify() for signal receivers and the watcher. It builds no queryset to return:
    this runs inside every watched order save.

    Problems with the shop's data or configuration never fail the save: they are recorded
    on the messages, or logged. A *database* error while writing the messages is different:
    the rows belong to the order's transaction, which that error has already broken (and
    on PostgreSQL aborted), so it propagates like any failed statement of that transaction
    rather than letting the order commit without its messages, or roll back unannounced.
    """
    try:
        _record(event, obj, extra)
    except DatabaseError:
        raise
    except Exception:
        logger.exception(
            "zns_notify could not record event %s for %s; no message was queued.",
            event,
            getattr(obj, "pk", obj),
        )


def _receiver_for(event: str):
    def receiver(sender: Any, order: Any = None, **kwargs: Any) -> None:
        kwargs.pop("signal", None)
        notify_safely(event, order, **kwargs)

    receiver.__name__ = f"zns_{event}_receiver"
    return receiver


_RECEIVERS = {event: _receiver_for(event) for event in signals.INCOMING}


def connect_order_signals() -> None:
    for event, signal in signals.INCOMING.items():
        signal.connect(_RECEIVERS[event], dispatch_uid=f"zns_notify.{event}")
