"""Fixtures for the demo shop tests."""

from __future__ import annotations

import datetime as dt

import pytest

from demo_shop.shop.cart import CartLine
from demo_shop.shop.models import Order, Product
from demo_shop.shop.orders import place_order
from tests.demo.helpers import demo_sms_settings

# The one-time codes' clock, caught codes and settings (tests/otp), for the sign-up page.
from tests.otp.conftest import clock, otp_settings, sent  # noqa: F401
from zns_notify.sandbox import SandboxServer, defaults

# The shop's own steps, in order; make_order walks them so each status has its timestamps.
STEPS = [
    (Order.Status.PAID, lambda order: order.mark_paid()),
    (
        Order.Status.SHIPPED,
        lambda order: order.mark_shipped(
            carrier="Giao Hàng Nhanh", tracking_code="GHNDH000001", eta=dt.date(2025, 3, 14)
        ),
    ),
    (Order.Status.DELIVERED, lambda order: order.mark_delivered()),
]


@pytest.fixture
def coffee(db) -> Product:
    return Product.objects.create(name="Cà phê G7 hòa tan", sku="CF-G7", price=58_000)


@pytest.fixture
def fish_sauce(db) -> Product:
    return Product.objects.create(name="Nước mắm Phú Quốc 500ml", sku="NM-PQ", price=95_000)


@pytest.fixture
def make_order(coffee):
    """make_order("shipped") -> a 2 × coffee order moved through new -> paid -> shipped."""

    def make(status: str = Order.Status.NEW, **fields) -> Order:
        fields = {
            "customer_name": "Nguyễn Văn An",
            "phone": "0912 345 678",
            "payment_method": Order.PaymentMethod.COD,
            **fields,
        }
        order = place_order([CartLine(coffee, 2)], **fields)
        if status == Order.Status.CANCELLED:
            order.cancel()
            return order
        for reached, step in STEPS:
            if order.status == status:
                break
            step(order)
            assert order.status == reached
        return order

    return make


@pytest.fixture
def sandbox(settings):
    """The sandbox on a free loopback port, with zns_notify pointed at it.

    No webhook URL: receipts need a web server (see the live_server and end-to-end tests).
    """
    with SandboxServer(webhook_url=None) as server:
        settings.ZNS_NOTIFY = {
            **settings.ZNS_NOTIFY,
            "API_BASE_URL": server.url,
            "OAUTH_BASE_URL": server.url,
            "APP_ID": defaults.DEMO_APP_ID,
            "APP_SECRET": defaults.DEMO_APP_SECRET,
            "OA_SECRET_KEY": defaults.DEMO_OA_SECRET_KEY,
        }
        yield server


@pytest.fixture
def demo_sms(sandbox, settings):
    """The demo's SMS settings against this test's sandbox."""
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, **demo_sms_settings(sandbox.url)}
    return sandbox
