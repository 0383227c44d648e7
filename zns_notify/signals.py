"""Signals: order events host code may send in, and message outcomes sent out.

Incoming (host code sends them instead of calling ``notify()``)::

    from zns_notify import signals
    signals.order_paid.send(sender=Order, order=order, **extra)

Outgoing (sent after the database commit, with ``send_robust``: a receiver that raises is
logged and never disturbs delivery).
"""

from __future__ import annotations

from django.dispatch import Signal

# Incoming order events. Arguments: order (the order instance), plus any extra keyword
# arguments, which become variables in binding expressions.
order_created = Signal()
order_paid = Signal()
order_shipped = Signal()
order_delivered = Signal()

# Outgoing. Arguments: message (zns_notify.models.Message).
message_sent = Signal()
# Arguments: message, delivered_at (aware datetime reported by Zalo).
message_delivered = Signal()
# Arguments: message, error_code (int or None), category (str), reason (str).
message_failed = Signal()

INCOMING = {
    "order_created": order_created,
    "order_paid": order_paid,
    "order_shipped": order_shipped,
    "order_delivered": order_delivered,
}


def announce(signal: Signal, **kwargs) -> None:
    """Send an outgoing signal robustly: a host receiver that raises is logged, never raised."""
    import logging

    from .models import Message

    for receiver, response in signal.send_robust(sender=Message, **kwargs):
        if isinstance(response, Exception):
            logging.getLogger(__name__).error(
                "zns_notify signal receiver %r raised %r", receiver, response
            )
