"""The demo's SMS fallback: its settings point the eSMS provider at the sandbox, the
shipped and delivered bindings carry a Vietnamese SMS text, zns_demo never picks the
customer Zalo cannot reach, and that customer's showcase order gets its notices by SMS
from the sandbox's eSMS mode."""

from __future__ import annotations

import random

import pytest
import requests

from demo_shop.shop.demo_catalogue import NOT_ON_ZALO_CUSTOMERS
from demo_shop.shop.demo_driver import place_demo_orders, place_fallback_showcase
from demo_shop.shop.demo_seed import DEMO_SMS, seed_demo
from demo_shop.shop.models import Order
from zns_notify.fallback import sending as fallback_sending
from zns_notify.models import Binding, FallbackStep, Message
from zns_notify.sandbox import defaults
from zns_notify.tasks import send_messages

pytestmark = pytest.mark.django_db


def test_the_demo_settings_use_the_sandboxs_esms_mode():
    from demo_shop import settings as demo

    zns = demo.ZNS_NOTIFY
    if not demo._on_sandbox:
        pytest.skip("ZNS_API_BASE_URL points at another Zalo in this environment")
    assert zns["SMS_PROVIDER"] == "esms"
    assert zns["SMS_PROVIDER_OPTIONS"] == {
        "api_key": defaults.DEMO_ESMS_API_KEY,
        "secret_key": defaults.DEMO_ESMS_SECRET_KEY,
        "brandname": defaults.DEMO_BRANDNAMES[0],
        "base_url": zns["API_BASE_URL"],
    }


def test_shipped_and_delivered_bindings_have_the_sms_fallback_on(demo_sms):
    seed_demo()
    with_sms = Binding.objects.filter(sms_enabled=True)
    assert sorted(with_sms.values_list("event", flat=True)) == ["order_delivered", "order_shipped"]
    assert {b.event: b.sms_text for b in with_sms} == DEMO_SMS
    assert all("not_on_zalo" in b.sms_triggers for b in with_sms)


def test_without_a_provider_the_text_is_seeded_switched_off(sandbox):
    seed_demo()
    shipped = Binding.objects.get(event="order_shipped")
    assert shipped.sms_text == DEMO_SMS["order_shipped"] and shipped.sms_enabled is False


def test_zns_demo_never_orders_for_the_customer_zalo_cannot_reach(demo_sms):
    seed_demo()
    orders = place_demo_orders(30, random.Random(1))
    unreachable = {phone for _name, phone in NOT_ON_ZALO_CUSTOMERS}
    assert not any(order.phone in unreachable for order in orders)


def test_the_showcase_order_gets_its_notices_by_sms(demo_sms):
    seed_demo()
    order = place_fallback_showcase()
    assert order is not None and order.status == Order.Status.DELIVERED
    assert place_fallback_showcase() is None  # once
    messages = Message.objects.filter(order_pk=str(order.pk))
    send_messages(list(messages.values_list("idempotency_key", flat=True)))
    assert set(messages.values_list("status", flat=True)) == {"failed"}  # -118
    steps = FallbackStep.objects.filter(message__in=messages)
    assert sorted(steps.values_list("message__event", flat=True)) == [
        "order_delivered",
        "order_shipped",
    ]
    for step in steps:
        fallback_sending.send(step.reference)
    assert set(steps.values_list("status", flat=True)) == {"sent"}
    sms = requests.get(f"{demo_sms.url}/_sandbox/sms", timeout=5).json()["sms"]
    assert len(sms) == 2
    assert any("Don " + order.code + " da giao thanh cong" in s["content"] for s in sms), sms
