"""The reconciler against a real sandbox over HTTP: webhooks withheld, receipts that never
come, the rate bound."""

from __future__ import annotations

import time

import pytest
import requests
from django.utils import timezone

from demo_shop.shop.demo_seed import ensure_bindings
from demo_shop.shop.models import Order
from tests.integration.conftest import run_queued_tasks, wait_until
from zns_notify.bindings.template_sync import sync_templates
from zns_notify.models import Message, Template
from zns_notify.receipts.reconcile import reconcile
from zns_notify.zalo.client import ZaloClient

pytestmark = pytest.mark.django_db(transaction=True)


def knobs(server, **values):
    response = requests.post(f"{server.url}/_sandbox/config", json=values, timeout=5)
    assert response.status_code == 200, response.text


def sandbox_messages(server) -> dict[str, dict]:
    rows = requests.get(f"{server.url}/_sandbox/messages", timeout=5).json()["messages"]
    return {row["msg_id"]: row for row in rows}


def reconcile_now(settings, **extra):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "RECONCILE_AFTER": 0, **extra}


class CountingClient(ZaloClient):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.status_calls: list[float] = []

    def message_status(self, **kwargs):
        self.status_calls.append(time.monotonic())
        return super().message_status(**kwargs)


def counting_client() -> CountingClient:
    base = ZaloClient.from_settings()
    return CountingClient(
        api_base_url=base.api_base_url,
        oauth_base_url=base.oauth_base_url,
        app_id=base.app_id,
        app_secret=base.app_secret,
    )


def send_orders(count: int) -> list[Message]:
    sync_templates()
    ensure_bindings()
    for n in range(count):
        Order.objects.create(customer_name=f"Khách {n}", phone="0912 345 678", total=100000)
    run_queued_tasks()
    messages = list(Message.objects.order_by("pk"))
    assert len(messages) == count
    assert all(
        m.msg_id and m.status in (Message.Status.SENT, Message.Status.DELIVERED) for m in messages
    ), [(m.status, m.error_message) for m in messages]
    return messages


def test_messages_whose_webhook_never_comes_end_delivered_through_the_reconciler(
    connected, settings
):
    knobs(connected, webhook_ratio=0.5)
    messages = send_orders(8)
    hooked = {msg_id for msg_id, row in sandbox_messages(connected).items() if row["webhook"]}
    assert 0 < len(hooked) < 8
    assert wait_until(
        lambda: Message.objects.filter(status=Message.Status.DELIVERED).count() == len(hooked)
    )
    time.sleep(0.3)  # no other webhook comes
    withheld = Message.objects.filter(status=Message.Status.SENT)
    assert {m.msg_id for m in withheld} == {m.msg_id for m in messages} - hooked

    reconcile_now(settings)
    report = reconcile()
    assert report["delivered"] == 8 - len(hooked) and report["errors"] == 0
    rows = sandbox_messages(connected)
    for message in Message.objects.all():
        assert message.status == Message.Status.DELIVERED
        assert int(message.delivered_at.timestamp() * 1000) == int(
            rows[message.msg_id]["delivered_time"]
        )
    assert reconcile()["checked"] == 0  # nothing left to ask about


def test_a_message_still_on_its_way_waits_and_one_past_its_timeout_is_undelivered(
    connected, settings
):
    knobs(connected, receipt_ratio=0.0)  # the phones never receive them
    first, second = send_orders(2)
    reconcile_now(settings)
    assert reconcile()["pending"] == 2  # status 0, within the 2 h default timeout
    Template.objects.filter(template_id=first.zalo_template_id).update(timeout_ms=1)
    Message.objects.update(next_status_check_at=None)
    report = reconcile()
    assert report["undelivered"] == 2
    for message in Message.objects.all():
        assert message.status == Message.Status.UNDELIVERED
        assert "timeout" in message.error_message


def test_a_message_zalo_does_not_know_is_undelivered_after_its_timeout(connected, settings):
    (message,) = send_orders(1)
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENT, msg_id="0" * 20, delivered_at=None
    )
    reconcile_now(settings)
    assert reconcile()["pending"] == 1  # -1 within the timeout: maybe Zalo lags behind
    Template.objects.filter(template_id=message.zalo_template_id).update(timeout_ms=1)
    Message.objects.filter(pk=message.pk).update(next_status_check_at=timezone.now())
    assert reconcile()["undelivered"] == 1
    message.refresh_from_db()
    assert message.status == Message.Status.UNDELIVERED and "-1" in message.error_message


def test_the_rate_bound_holds_over_http(connected, settings):
    knobs(connected, webhook_ratio=0.0)
    send_orders(5)
    assert wait_until(
        lambda: all(r["delivered_time"] for r in sandbox_messages(connected).values())
    )
    reconcile_now(settings, RECONCILE_BATCH=4, RECONCILE_RATE=10)
    client = counting_client()
    report = reconcile(client)
    assert report["delivered"] == 4 and len(client.status_calls) == 4
    gaps = [b - a for a, b in zip(client.status_calls, client.status_calls[1:], strict=False)]
    assert client.status_calls[-1] - client.status_calls[0] >= 0.3 - 0.01
    assert min(gaps) >= 0.1 - 0.02
    assert Message.objects.filter(status=Message.Status.SENT).count() == 1
    assert reconcile(client)["delivered"] == 1


def test_two_reconcilers_at_once_ask_about_each_message_once(connected, settings):
    import threading

    from django.db import connection

    knobs(connected, webhook_ratio=0.0)
    send_orders(10)
    assert wait_until(
        lambda: all(r["delivered_time"] for r in sandbox_messages(connected).values())
    )
    reconcile_now(settings, RECONCILE_RATE=1000)
    clients = [counting_client(), counting_client()]
    asked: list[list[str]] = [[], []]
    reports = [None, None]
    start = threading.Barrier(2)

    def run(n):
        real = clients[n].message_status

        def recording(**kwargs):
            asked[n].append(kwargs["msg_id"])
            return real(**kwargs)

        clients[n].message_status = recording
        try:
            start.wait()
            reports[n] = reconcile(clients[n])
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    everyone = asked[0] + asked[1]
    assert len(everyone) == len(set(everyone)) == 10, asked
    assert sum(r["delivered"] for r in reports) == 10, reports
    assert Message.objects.filter(status=Message.Status.DELIVERED).count() == 10
