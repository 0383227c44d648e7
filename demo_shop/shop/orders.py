"""Placing an order: the one place that turns cart lines into an Order with its items."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from .cart import CartLine
from .models import Customer, Order, OrderItem


class EmptyOrder(ValueError):
    """An order needs at least one line."""


def place_order(
    lines: Sequence[CartLine],
    *,
    customer_name: str,
    phone: str,
    payment_method: str,
    customer: Customer | None = None,
) -> Order:
    """Create the order (status "new") and its items in one transaction.

    The total is set before the order's first save, because zns_notify renders the
    order_created message from that save. The phone is stored exactly as given;
    whether Zalo can reach it is zns_notify's decision, not the shop's.
    """
    if not lines:
        raise EmptyOrder("An order needs at least one line.")
    with transaction.atomic():
        order = Order.objects.create(
            customer=customer,
            customer_name=customer_name,
            phone=phone,
            payment_method=payment_method,
            total=sum(line.line_total for line in lines),
        )
        OrderItem.objects.bulk_create(
            OrderItem(
                order=order,
                product=line.product,
                product_name=line.product.name,
                unit_price=line.product.price,
                quantity=line.quantity,
            )
            for line in lines
        )
    return order
