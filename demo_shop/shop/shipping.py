"""Carriers the demo ships with, and how a shipment gets its tracking code."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

# Prefix -> carrier name as customers know it (the name goes into the Zalo message).
CARRIERS = {
    "GHN": "Giao Hàng Nhanh",
    "GHTK": "Giao Hàng Tiết Kiệm",
    "VTP": "Viettel Post",
    "VNP": "VNPost",
    "JT": "J&T Express",
}
DEFAULT_DELIVERY_DAYS = 2


def tracking_code_for(carrier_prefix: str, order_code: str) -> str:
    """The demo has no carrier API to book a shipment with, so the tracking code is
    derived from the order code: unique, and easy to match by eye on the phone page."""
    return f"{carrier_prefix}{order_code}"


def default_eta(today: dt.date | None = None) -> dt.date:
    return (today or timezone.localdate()) + dt.timedelta(days=DEFAULT_DELIVERY_DAYS)
