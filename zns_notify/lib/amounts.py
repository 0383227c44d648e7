"""Amounts of đồng as Vietnamese write them, the same in every language: the binding
expressions' ``vnd`` filter (:mod:`zns_notify.rendering.filters`), the SMS preview's cost
and the delivery log's SMS cost."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def vnd(value: object) -> str:
    """1250000 -> "1.250.000" (Vietnamese thousands separator, no decimals)."""
    try:
        amount = Decimal(str(value)).quantize(Decimal(1))
    except (InvalidOperation, ValueError):
        return ""
    return f"{int(amount):,}".replace(",", ".")
