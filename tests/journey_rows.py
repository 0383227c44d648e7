"""Journeys and their messages as the sending side leaves them (docs/journeys.md): a
journey Zalo issued and billed, and messages of journey bindings, under it or sent outside
it. Shared by the reports', the log's and the admin's tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.factories import MessageFactory
from zns_notify.models import Journey, Message

_orders = iter(range(1, 10**6))


def billed_journey(
    first_sent: dt.datetime,
    *,
    price: str | None = "180",
    order_ref: str = "",
    phone: str = "84912345678",
    token_type: str = "token_logistics_7",
    state: str = Journey.State.ACTIVE,
) -> Journey:
    order = next(_orders)
    return Journey.objects.create(
        order_type="shop.order",
        order_pk=str(order),
        order_ref=order_ref or f"DH{order:06d}",
        phone=phone,
        token_type=token_type,
        state=state,
        token=f"journey-token-{order}",
        journey_id=f"77{order:08d}",
        issued_at=first_sent - dt.timedelta(seconds=1),
        expires_at=first_sent + dt.timedelta(days=7),
        first_sent_at=first_sent,
        price=Decimal(price) if price is not None else None,
        created_at=first_sent - dt.timedelta(seconds=2),
    )


def journey_message(
    created: dt.datetime,
    template,
    *,
    journey: Journey | None = None,
    status: str = "delivered",
    event: str = "order_shipped",
    fallback: str = "",
    sent_after: float = 2,
    **extra,
) -> Message:
    """A message of a token_logistics_7 binding: under ``journey`` when given, else sent
    outside it because of ``fallback`` (or not sent yet)."""
    accepted = status in ("sent", "delivered", "undelivered")
    sent = created + dt.timedelta(seconds=sent_after) if accepted else None
    order = {}
    if journey is not None:
        order = dict(
            order_type=journey.order_type,
            order_pk=journey.order_pk,
            order_ref=journey.order_ref,
            phone=journey.phone,
        )
    return MessageFactory(
        template=template,
        event=event,
        created_at=created,
        status=status,
        sent_at=sent,
        delivered_at=sent + dt.timedelta(seconds=5) if status == "delivered" else None,
        journey_type="token_logistics_7",
        journey=journey,
        journey_fallback=fallback,
        **{**order, **extra},
    )
