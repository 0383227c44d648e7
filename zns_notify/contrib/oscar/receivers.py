"""Oscar's order signals become zns_notify events.

- ``order_placed`` (sent by ``OrderCreator.place_order`` once the order, its lines, its
  discounts and its voucher usage are committed) fires ``order_created``, and also the
  event ORDER_STATUS_EVENTS maps the order's first status to, when that is another one:
  Oscar sets the first status without a status change.
- ``order_status_changed`` (sent by ``Order.set_status``: the dashboard, the shop's code)
  fires the event ORDER_STATUS_EVENTS maps the new status to.

The adapter's defaults turn the core's save watcher off (``WATCH_ORDER_SAVES``): it would
see the order's first save, before its lines exist.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, router, transaction
from oscar.apps.order.signals import order_placed, order_status_changed

from zns_notify.conf import app_settings
from zns_notify.events.notify import notify_safely
from zns_notify.models import Message

logger = logging.getLogger(__name__)

CREATED = "order_created"


def connect() -> None:
    """Called from the AppConfig's ready()."""
    order_placed.connect(placed, dispatch_uid="zns_notify.contrib.oscar.placed")
    order_status_changed.connect(status_changed, dispatch_uid="zns_notify.contrib.oscar.status")


def disconnect() -> None:
    order_placed.disconnect(dispatch_uid="zns_notify.contrib.oscar.placed")
    order_status_changed.disconnect(dispatch_uid="zns_notify.contrib.oscar.status")


def placed(sender: Any, order: Any, **kwargs: Any) -> None:
    try:
        notify_order(CREATED, order)
        first = app_settings.ORDER_STATUS_EVENTS.get(
            getattr(order, app_settings.ORDER_STATUS_FIELD)
        )
        if first and first != CREATED:
            notify_order(first, order)
    except Exception:
        # Oscar sends order_placed after the order has committed: an exception here would
        # fail the checkout page with the basket not yet submitted, and a retry would be
        # refused as a duplicate order number.
        log_failure("order_placed", order)


def status_changed(sender: Any, order: Any, new_status: str = "", **kwargs: Any) -> None:
    try:
        event = app_settings.ORDER_STATUS_EVENTS.get(new_status)
        if event:
            notify_order(event, order)
    except Exception:
        # set_status writes Oscar's status history after sending the signal: an exception
        # here would lose that row, and fail the dashboard page.
        log_failure("order_status_changed", order)


def log_failure(signal: str, order: Any) -> None:
    logger.exception(
        "zns_notify could not handle Oscar's %s for order %s (check the ZNS_NOTIFY "
        "settings); no message was queued.",
        signal,
        getattr(order, "number", getattr(order, "pk", order)),
    )


def notify_order(event: str, order: Any) -> None:
    """notify_safely() in a transaction (a savepoint inside the caller's): Oscar sends
    both signals after the order change is saved, outside any transaction of its own, so
    a database error writing the messages must not fail the checkout or the dashboard
    page of an order that is already placed. It is logged, and only this event's
    messages are lost (the savepoint keeps the caller's transaction usable).

    The savepoint is on the database the messages are written to, which a router may keep
    apart from the orders'."""
    try:
        with transaction.atomic(using=router.db_for_write(Message)):
            notify_safely(event, order)
    except DatabaseError:
        logger.exception(
            "zns_notify: the %s messages of Oscar order %s could not be written",
            event,
            getattr(order, "number", order.pk),
        )
