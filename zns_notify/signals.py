"""Signals: order events host code may send in, and message outcomes sent out.

Incoming (host code sends them instead of calling ``notify()``)::

    from zns_notify import signals
    signals.order_paid.send(sender=Order, order=order, **extra)

Outgoing (sent after the database commit, with ``send_robust``: a receiver that raises is
logged and never disturbs delivery).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# Incoming order events. Arguments: order (the order instance), plus any extra keyword
# arguments, which become variables in binding expressions.
order_created = Signal()
order_paid = Signal()
order_shipped = Signal()
order_delivered = Signal()

# Outgoing; each is sent once per transition, after the commit that records it, with
# sender=Message. See docs/signals.md.
# Zalo accepted the message. Arguments: message (zns_notify.models.Message).
message_sent = Signal()
# The message reached the phone (webhook or status API). Arguments: message, delivered_at
# (aware datetime reported by Zalo).
message_delivered = Signal()
# The message will not be sent. Arguments: message, error_code (int or None), category
# (str), reason (str).
message_failed = Signal()
# Zalo accepted it but it did not reach the phone within the template's timeout, or Zalo
# no longer knows it (not billed, zns-api.md §10). Arguments: message, reason (str).
message_undelivered = Signal()
# The policy engine decided not to send it (docs/policy.md): skipped (opt-out, recipient
# cap) or cancelled (the binding's condition no longer holds). Arguments: message, rule
# (str: "opt_out", "recipient_cap", "condition"), reason (str).
message_skipped = Signal()
# The SMS fallback (docs/fallback.md). Arguments: message, step
# (zns_notify.models.FallbackStep), reason ("immediate": a ZNS outcome that says Zalo
# cannot deliver; "window": no receipt within the binding's window). Once per message.
fallback_triggered = Signal()
# The SMS provider accepted the fallback SMS. Arguments: message, step.
sms_sent = Signal()
# The fallback SMS will not be sent. Arguments: message, step, error_kind (str:
# "retryable" when its tries ran out, "permanent", "configuration"), reason (str).
sms_failed = Signal()

INCOMING = {
    "order_created": order_created,
    "order_paid": order_paid,
    "order_shipped": order_shipped,
    "order_delivered": order_delivered,
}

OUTGOING = {
    "message_sent": message_sent,
    "message_delivered": message_delivered,
    "message_failed": message_failed,
    "message_undelivered": message_undelivered,
    "message_skipped": message_skipped,
    "fallback_triggered": fallback_triggered,
    "sms_sent": sms_sent,
    "sms_failed": sms_failed,
}


def announce(signal: Signal, **kwargs) -> None:
    """Send an outgoing signal robustly: a host receiver that raises is logged (with its
    traceback), never raised, and the other receivers still run."""
    # Inside the function: hosts import this module from anywhere, their apps.py included,
    # before Django's app registry is ready, when importing the models would raise.
    from zns_notify.models import Message

    for receiver, response in signal.send_robust(sender=Message, **kwargs):
        if isinstance(response, Exception):
            logger.error(
                "zns_notify signal receiver %r raised %r",
                receiver,
                response,
                exc_info=(type(response), response, response.__traceback__),
            )


def announce_on_commit(signal: Signal, using: str | None = None, **kwargs) -> None:
    """:func:`announce` once the current transaction commits (at once outside one); nothing
    if it rolls back. Call it inside the atomic block that records the transition, after
    the conditional UPDATE that proved this caller made it, so a repeat never announces."""
    transaction.on_commit(lambda: announce(signal, **kwargs), using=using, robust=True)
