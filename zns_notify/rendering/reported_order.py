"""The order of an event reported through the REST API (:mod:`zns_notify.api.reporting`).

The shop part that reports has no Django order to hand over, so parameters and conditions
read this read-only stand-in instead. It lives with rendering, not with the REST package
that builds it, because rendering reads it: it carries its own
:class:`~zns_notify.rendering.order_data.OrderFacts` (``read_order``), and a send-time
condition must know its ``order_type`` to not look for a host model of that name."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from zns_notify.rendering.order_data import OrderFacts

#: The ``order_type`` of a reported order's messages; never a host model's label.
REPORTED_ORDER_TYPE = "api.order"


class ReportedOrder:
    """An order as a non-Django part of the shop reported it: ``pk`` and ``code`` are the
    order reference; ``phone``, ``customer_name``, ``total`` and every field of ``data``
    are attributes. Binding expressions read it like a model instance
    (``{{ order.total|vnd }}``, ``{{ order.carrier }}``); nothing can be set on it."""

    __slots__ = ("_fields", "_zns_order_facts")

    def __init__(
        self,
        *,
        order_ref: str,
        phone: str = "",
        customer_name: str = "",
        total: Decimal | None = None,
        data: dict[str, Any] | None = None,
    ):
        fields = {
            **(data or {}),
            "pk": order_ref,
            "code": order_ref,
            "order_ref": order_ref,
            "phone": phone,
            "customer_name": customer_name,
            "total": total,
        }
        facts = OrderFacts(
            order_type=REPORTED_ORDER_TYPE,
            order_pk=order_ref,
            order_ref=order_ref,
            raw_phone=phone,
            customer_name=customer_name,
        )
        object.__setattr__(self, "_fields", fields)
        object.__setattr__(self, "_zns_order_facts", facts)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # never a field; and no recursion before __init__ ran
            raise AttributeError(name)
        try:
            return self._fields[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __str__(self) -> str:
        return str(self._fields["order_ref"])

    def __repr__(self) -> str:
        return f"<ReportedOrder {self._fields['order_ref']!r}>"
