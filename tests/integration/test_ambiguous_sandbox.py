"""Ambiguous sends over real HTTP: the sandbox accepts the send and answers after the
client's read timeout, and its signed receipt (carrying the tracking_id) reaches the live
webhook. What each AMBIGUOUS_SENDS policy makes of it, counted on the sandbox's side."""

from __future__ import annotations

import pytest
import requests

from demo_shop.shop.demo_seed import ensure_bindings
from demo_shop.shop.models import Order
from tests.integration.conftest import run_queued_tasks, tracking_counts, wait_until
from zns_notify.bindings.template_sync import sync_templates
from zns_notify.models import Message
from zns_notify.sending.send import deliver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_zalo(connected, settings):
    """Every send is accepted, then answered 1.5 s later: after the client's 0.5 s."""
    sync_templates()
    ensure_bindings()
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "REQUEST_TIMEOUT": 0.5, "AMBIGUOUS_GRACE": 60}
    knob(connected, "faults", timeout_rate=1.0, timeout_seconds=1.5, paths=["/message/template"])
    return connected


def knob(server, path: str, **body) -> None:
    requests.post(f"{server.url}/_sandbox/{path}", json=body, timeout=5).raise_for_status()


def one_message(policy: str, settings) -> Message:
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "AMBIGUOUS_SENDS": policy}
    Order.objects.create(customer_name="Lê Hoàng Nam", phone="0912 345 678", total=459000)
    run_queued_tasks()
    return Message.objects.get()


def again(message: Message, server) -> Message:
    """The grace (or backoff) is over; Zalo answers in time now."""
    knob(server, "faults", timeout_rate=0.0)
    Message.objects.filter(pk=message.pk, status=Message.Status.QUEUED).update(
        next_attempt_at=message.created_at
    )
    deliver(message.idempotency_key)
    message.refresh_from_db()
    return message


def test_verify_lets_the_receipt_settle_the_message_without_a_second_send(slow_zalo, settings):
    message = one_message("verify", settings)
    # The receipt came while the worker still waited for Zalo's answer, or during the grace.
    assert wait_until(lambda: Message.objects.get().status == Message.Status.DELIVERED)
    message = again(message, slow_zalo)
    assert message.status == Message.Status.DELIVERED
    assert tracking_counts(slow_zalo)[message.idempotency_key] == 1


def test_verify_without_a_receipt_sends_again_and_counts_the_duplicate(slow_zalo, settings):
    knob(slow_zalo, "config", receipt_ratio=0.0)  # the phone never confirms
    message = one_message("verify", settings)
    assert (message.status, message.ambiguous_sends) == (Message.Status.QUEUED, 1)
    message = again(message, slow_zalo)
    assert message.status == Message.Status.SENT
    # Zalo took it twice: a duplicate the policy allows, and the row says so.
    assert tracking_counts(slow_zalo)[message.idempotency_key] == 2 == 1 + message.ambiguous_sends


def test_fail_never_sends_twice(slow_zalo, settings):
    knob(slow_zalo, "config", receipt_ratio=0.0)
    message = one_message("fail", settings)
    assert (message.status, message.error_category) == (Message.Status.FAILED, "ambiguous")
    assert again(message, slow_zalo).status == Message.Status.FAILED
    assert tracking_counts(slow_zalo)[message.idempotency_key] == 1
