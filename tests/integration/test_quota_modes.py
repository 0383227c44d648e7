"""Development mode, hashed phones, quota and holds over real HTTP against the sandbox."""

from __future__ import annotations

import hashlib

import pytest
import requests
from django.db import transaction

from demo_shop.shop.demo_seed import ensure_bindings
from demo_shop.shop.models import Order
from tests.integration.conftest import run_queued_tasks
from zns_notify import notify
from zns_notify.account import quota
from zns_notify.bindings.template_sync import sync_templates
from zns_notify.models import Message, SendingHold, ZaloQuota

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN = "0987654321"  # the sandbox's default OA admin phone


def sandbox_rows(server, **params):
    response = requests.get(f"{server.url}/_sandbox/messages", params=params, timeout=5)
    return response.json()["messages"]


def knob(server, path, body):
    requests.post(f"{server.url}/_sandbox/{path}", json=body, timeout=5).raise_for_status()


@pytest.fixture
def bound(connected):
    sync_templates()
    ensure_bindings()
    return connected


def make_order(phone, **extra):
    from django.utils import timezone

    order = Order.objects.create(
        customer_name="Lê Nam", phone=phone, total=100000, paid_at=timezone.now()
    )
    with transaction.atomic():
        notify("order_paid", order, **extra)  # created already fired through the watcher
    return order


def test_per_send_development_mode_reaches_the_admin_phone(bound):
    make_order(ADMIN, development_mode=True)
    run_queued_tasks()
    paid = Message.objects.get(event="order_paid")
    created = Message.objects.get(event="order_created")
    assert paid.development_mode and not created.development_mode
    assert paid.status in (Message.Status.SENT, Message.Status.DELIVERED), paid.error_message
    modes = {row["template_id"]: row["mode"] for row in sandbox_rows(bound)}
    assert modes == {"100001": "production", "100002": "development"}
    assert ZaloQuota.objects.get().remaining_quota == 19999  # development sends are free


def test_development_mode_setting_to_a_non_admin_fails_for_the_recipient(bound, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "DEVELOPMENT_MODE": True}
    Order.objects.create(customer_name="Lê Nam", phone="0912345678", total=100000)
    run_queued_tasks()
    message = Message.objects.get()
    assert message.development_mode
    outcome = (message.status, message.error_code, message.error_category)
    assert outcome == ("failed", -127, "recipient")


def test_hashed_phone_sending(bound, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "HASH_PHONE": True}
    Order.objects.create(customer_name="Lê Nam", phone="0912 345 678", total=100000)
    run_queued_tasks()
    assert Message.objects.get().status in (Message.Status.SENT, Message.Status.DELIVERED)
    digest = hashlib.sha256(b"84912345678").hexdigest()
    [row] = sandbox_rows(bound)
    assert row["phone"] == digest and row["hash_phone"] is True


def test_quota_runs_out_then_messages_wait_for_midnight_without_a_144_storm(bound):
    knob(bound, "config", {"remaining_quota": 1})
    for phone in ("0912345678", "0912345679", "0912345670"):
        Order.objects.create(customer_name="Lê Nam", phone=phone, total=100000)
    run_queued_tasks()
    statuses = sorted(Message.objects.values_list("status", flat=True))
    assert statuses in (["queued", "queued", "sent"], ["delivered", "queued", "queued"])
    assert ZaloQuota.objects.get().remaining_quota == 0  # echoed by the one accepted send
    assert len(sandbox_rows(bound)) == 1
    waiting = Message.objects.filter(status="queued")
    assert all(m.next_attempt_at.astimezone(quota_tz()).hour == 0 for m in waiting)
    assert all(m.error_code is None for m in waiting)  # the gate waited; Zalo never said -144


def test_quota_refresh_task_reads_the_sandbox(bound):
    knob(bound, "config", {"remaining_quota": 7})
    assert quota.refresh_quota() == 7
    row = ZaloQuota.objects.get()
    assert (row.daily_quota, row.remaining_quota, row.daily_promotion_quota) == (20000, 7, 5000)


def test_billing_error_holds_the_account(bound):
    knob(bound, "faults", {"error_code": -137})
    for phone in ("0912345678", "0912345679"):
        Order.objects.create(customer_name="Lê Nam", phone=phone, total=100000)
    run_queued_tasks()
    hold = SendingHold.objects.get()
    assert hold.error_code == -137 and "insufficient balance" in hold.reason
    outcomes = set(Message.objects.values_list("status", "error_category"))
    assert outcomes == {("queued", "config")}


def quota_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Ho_Chi_Minh")


def test_send_test_command_honours_hash_phone(connected, settings, capsys):
    from django.core.management import call_command

    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "HASH_PHONE": True}
    call_command(
        "zns_send_test",
        "--template",
        "100006",
        "--phone",
        ADMIN,
        "--data",
        '{"customer_name": "An", "order_code": "DH1"}',
    )
    assert "msg_id=" in capsys.readouterr().out
    [row] = sandbox_rows(connected)
    assert row["hash_phone"] is True and row["mode"] == "development"
    assert row["phone"] == hashlib.sha256(b"84987654321").hexdigest()
