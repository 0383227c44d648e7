"""An order's whole lifecycle over real HTTP: sandbox <-> client, sandbox -> webhook."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from django.core.management import call_command

from demo_shop.shop.demo_seed import ensure_bindings
from demo_shop.shop.models import Order
from tests.integration.conftest import run_queued_tasks, tracking_counts, wait_until
from zns_notify.bindings.template_sync import sync_templates
from zns_notify.models import Message, Template

pytestmark = pytest.mark.django_db(transaction=True)


def test_sync_brings_the_demo_templates_with_their_params(connected):
    report = sync_templates()
    assert len(report.created) == 9  # design.md §5's eight and the OTP template
    templates = {t.template_id: t for t in Template.objects.all()}
    assert templates["100008"].status == Template.Status.PENDING_REVIEW
    assert templates["100007"].tag == "PROMOTION"
    assert [p["name"] for p in templates["100004"].params] == [
        "customer_name",
        "order_code",
        "delivered_at",
    ]
    assert templates["100002"].param_specs()["payment_method"]["max_length"] == 30
    assert sync_templates().unchanged and not sync_templates().updated


def test_order_lifecycle_delivers_four_messages_exactly_once(connected):
    sync_templates()
    ensure_bindings()
    order = Order.objects.create(customer_name="Lê Hoàng Nam", phone="0912 345 678", total=459000)
    order.mark_paid()
    order.mark_shipped(
        carrier="Giao Hàng Nhanh", tracking_code="GHN123456", eta=dt.date(2026, 11, 25)
    )
    order.mark_delivered()
    assert run_queued_tasks() == 4
    assert run_queued_tasks() == 0

    def all_delivered():
        return Message.objects.filter(status=Message.Status.DELIVERED).count() == 4

    assert wait_until(all_delivered), list(
        Message.objects.values_list("event", "status", "error_message")
    )
    messages = {m.event: m for m in Message.objects.all()}
    assert set(messages) == {"order_created", "order_paid", "order_shipped", "order_delivered"}
    assert messages["order_shipped"].params["tracking_code"] == "GHN123456"
    assert messages["order_shipped"].params["eta"] == "25/11/2026"
    counts = tracking_counts(connected)
    assert {counts[m.idempotency_key] for m in messages.values()} == {1}
    rows = requests.get(f"{connected.url}/_sandbox/messages", timeout=5).json()["messages"]
    assert sorted(row["template_id"] for row in rows) == ["100001", "100002", "100003", "100004"]
    assert {row["phone"] for row in rows} == {"84912345678"}


def test_host_code_hears_each_message_sent_then_delivered(connected):
    """The signals a shop connects to, end to end: sent from the worker, delivered from
    Zalo's signed webhook (handled by the live server's thread), once each."""
    from zns_notify import signals

    heard: list[tuple[str, str]] = []

    def on_sent(sender, message, **kwargs):
        heard.append(("sent", message.idempotency_key))

    def on_delivered(sender, message, delivered_at, **kwargs):
        assert delivered_at is not None
        heard.append(("delivered", message.idempotency_key))

    signals.message_sent.connect(on_sent, dispatch_uid="test.sent")
    signals.message_delivered.connect(on_delivered, dispatch_uid="test.delivered")
    try:
        sync_templates()
        ensure_bindings()
        order = Order.objects.create(
            customer_name="Lê Hoàng Nam", phone="0912 345 678", total=459000
        )
        order.mark_paid()
        assert run_queued_tasks() == 2
        keys = set(Message.objects.values_list("idempotency_key", flat=True))
        assert wait_until(lambda: sum(kind == "delivered" for kind, _ in heard) == 2), heard
    finally:
        signals.message_sent.disconnect(dispatch_uid="test.sent")
        signals.message_delivered.disconnect(dispatch_uid="test.delivered")
    assert sorted(heard) == sorted([(kind, key) for key in keys for kind in ("sent", "delivered")])
    for key in keys:  # each message: sent before delivered
        assert heard.index(("sent", key)) < heard.index(("delivered", key))


def test_unreachable_phone_fails_permanently_with_zalos_code(connected):
    sync_templates()
    ensure_bindings()
    Order.objects.create(customer_name="Phạm Thu", phone="0999 000 118", total=100000)
    run_queued_tasks()
    message = Message.objects.get()
    assert message.status == Message.Status.FAILED
    assert message.error_code == -118
    assert message.error_category == "recipient"


def test_expired_access_token_is_rotated_and_the_send_goes_through(connected):
    sync_templates()
    ensure_bindings()
    requests.post(
        f"{connected.url}/_sandbox/faults", json={"expire_access_tokens": True}, timeout=5
    )
    Order.objects.create(customer_name="Võ Minh", phone="0912345678", total=100000)
    run_queued_tasks()
    assert Message.objects.get().status in (Message.Status.SENT, Message.Status.DELIVERED)
    history = requests.get(f"{connected.url}/_sandbox/tokens", timeout=5).json()
    assert history["counts"]["refreshed"] == 1
    assert history["counts"]["reuse_attempts"] == 0


def test_management_commands_against_the_sandbox(connected, capsys):
    call_command("zns_sync_templates")
    assert "9 created" in capsys.readouterr().out
    call_command("zns_tokens", "refresh")
    assert "refreshed" in capsys.readouterr().out
    call_command("zns_tokens", "show")
    out = capsys.readouterr().out
    assert "state=connected" in out and "access-" not in out
    call_command(
        "zns_send_test",
        "--template",
        "100006",
        "--phone",
        "0987 654 321",
        "--data",
        '{"customer_name": "Lan", "order_code": "DH1"}',
    )
    assert "msg_id=" in capsys.readouterr().out


def test_admin_sync_button_pulls_templates(connected, admin_client):
    from django.urls import reverse

    url = reverse("admin:zns_notify_template_sync")
    assert admin_client.get(url).status_code == 405
    response = admin_client.post(url, follow=True)
    assert "9 created" in response.content.decode()
    assert Template.objects.count() == 9
    page = admin_client.get(reverse("admin:zns_notify_template_changelist")).content.decode()
    assert url in page


def test_admin_sync_failure_is_reported_and_changes_nothing(sandbox, admin_client):
    from django.urls import reverse

    response = admin_client.post(reverse("admin:zns_notify_template_sync"), follow=True)
    assert "Sync failed, nothing changed" in response.content.decode()
    assert Template.objects.count() == 0


def test_the_queue_is_the_profiles_broker(queue_broker):
    """SQLite pass: django-q2's ORM broker; PostgreSQL pass: its Redis broker."""
    import os

    from django_q.brokers.orm import ORM
    from django_q.brokers.redis_broker import Redis

    expected = Redis if os.environ.get("ZNS_TEST_DB") == "postgres" else ORM
    assert type(queue_broker) is expected
