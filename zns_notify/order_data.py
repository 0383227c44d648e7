"""Read what zns_notify needs from the host's order without importing the host's models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .conf import app_settings


def resolve(obj: Any, accessor: str | Callable[[Any], Any]) -> Any:
    """A callable is called with the order; a string is an attribute path (``customer.phone``).

    A callable attribute at the end of the path (a method) is called without arguments.
    """
    if callable(accessor):
        return accessor(obj)
    value = obj
    for part in str(accessor).split("."):
        if value is None:
            return None
        value = getattr(value, part)
    return value() if callable(value) else value


@dataclass(frozen=True)
class OrderFacts:
    order_type: str
    order_pk: str
    order_ref: str
    raw_phone: str
    customer_name: str


def read_order(obj: Any) -> OrderFacts:
    """Extract the identifying facts of an order; raises what the host's accessors raise."""
    code = resolve(obj, app_settings.ORDER_CODE)
    return OrderFacts(
        order_type=obj._meta.label_lower if hasattr(obj, "_meta") else type(obj).__name__,
        order_pk=str(getattr(obj, "pk", "") or ""),
        order_ref=str(code if code is not None else getattr(obj, "pk", "")),
        raw_phone=str(resolve(obj, app_settings.ORDER_PHONE) or ""),
        customer_name=str(resolve(obj, app_settings.ORDER_CUSTOMER_NAME) or ""),
    )
