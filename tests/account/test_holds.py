"""Sending holds: errors only an admin can fix pause the account or a template; a release,
a reconnect or a sync finding the template approved ends them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import MessageFactory, TemplateFactory
from zns_notify.account import holds
from zns_notify.models import Message, SendingHold
from zns_notify.sending.send import deliver

pytestmark = pytest.mark.django_db(transaction=True)


def test_billing_error_holds_the_account_and_the_queue_waits(account, zalo_api):
    zalo_api.send_error(-137, "Charge ZCA failed: insufficient balance")
    first = MessageFactory()
    second = MessageFactory(template=TemplateFactory(template_id="300001"))
    deliver(first.idempotency_key)
    deliver(second.idempotency_key)  # another template, same account: held without a call
    assert len(zalo_api.calls_to("/message/template")) == 1
    hold = SendingHold.objects.get()
    assert hold.template is None and hold.error_code == -137 and hold.is_active
    assert "insufficient balance" in hold.reason
    for message in (first, second):
        message.refresh_from_db()
        assert message.status == Message.Status.QUEUED and message.error_category == "config"
        assert message.next_attempt_at == hold.until and message.attempts == 0
    assert first.error_code == -137 and "insufficient balance" in first.error_message


def test_released_hold_makes_its_messages_due_and_the_next_send_probes_zalo(account, zalo_api):
    zalo_api.send_error(-135, "OA has no permission to send ZNS")
    message = MessageFactory()
    deliver(message.idempotency_key)
    assert holds.release(SendingHold.objects.all()) == 1
    message.refresh_from_db()
    assert message.next_attempt_at <= timezone.now()
    zalo_api.send_ok()
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_template_error_holds_only_that_template(account, zalo_api):
    zalo_api.send_error(-131, "ZNS template not approved")
    held = MessageFactory()
    deliver(held.idempotency_key)
    hold = SendingHold.objects.get()
    assert hold.template_id == held.template_id
    other = MessageFactory(template=TemplateFactory(template_id="300002"))
    zalo_api.send_ok()
    deliver(other.idempotency_key)
    other.refresh_from_db()
    assert other.status == Message.Status.SENT
    again = MessageFactory(template=held.template)
    deliver(again.idempotency_key)
    again.refresh_from_db()
    assert again.status == Message.Status.QUEUED and "on hold" in again.error_message


def test_a_message_held_too_long_fails(account, zalo_api):
    zalo_api.send_error(-136, "Must connect a Zalo Cloud Account")
    created = timezone.now() - holds.MAX_HOLD - dt.timedelta(minutes=1)
    message = MessageFactory(created_at=created)
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and message.error_code == -136
    assert "given up" in message.error_message


def test_a_reconnect_ends_account_wide_holds(account, zalo_api):
    from zns_notify.account.tokens import store_token_pair

    zalo_api.send_error(-137, "Billing: Zalo Cloud Account has no balance")
    message = MessageFactory()
    deliver(message.idempotency_key)
    assert SendingHold.objects.get().is_active
    store_token_pair(access_token="reconnected", refresh_token="reconnected-r")
    assert not SendingHold.objects.get().is_active
    message.refresh_from_db()
    assert message.next_attempt_at <= timezone.now()


def test_a_sync_that_finds_the_template_enabled_ends_its_hold(account, zalo_api, monkeypatch):
    from zns_notify.bindings import template_sync

    zalo_api.send_error(-131, "ZNS template not approved")
    message = MessageFactory()
    deliver(message.idempotency_key)
    assert SendingHold.objects.get().template_id == message.template_id
    monkeypatch.setattr(template_sync, "fetch_all", lambda *args, **kwargs: {})
    monkeypatch.setattr(template_sync, "_details", lambda *args: [])
    template_sync.sync_templates(status="ENABLE")  # the template stays ENABLE locally
    assert not SendingHold.objects.get().is_active
    message.refresh_from_db()
    assert message.next_attempt_at <= timezone.now()
