"""A one-time code's message before its send (zns_notify.policy.rules.check): the shop's
rules for notices do not hold it back (tests/otp/test_lane.py), and a code that stopped
working is never sent, however its message reached a worker."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from tests.factories import TemplateFactory
from zns_notify.models import Message, OtpChallenge
from zns_notify.models.error_categories import CODE_NO_LONGER_VALID
from zns_notify.otp import request_code, verify_code
from zns_notify.sending.send import deliver

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "0912 345 678"


@pytest.fixture(autouse=True)
def _workers_send(settings):
    TemplateFactory(template_id="500", params=[{"name": "otp", "type": "OTP"}])
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "OTP_SEND_FROM_REQUEST": False,
        "OTP_RESEND_COOLDOWN": 0,
    }


def cancelled_unsent(message: Message, zalo_api) -> bool:
    message.refresh_from_db()
    return (
        message.status == Message.Status.CANCELLED
        and message.error_category == CODE_NO_LONGER_VALID
        and zalo_api.calls_to("/message/template") == []
    )


def test_an_expired_codes_message_reaching_a_worker_is_cancelled_not_sent(account, zalo_api):
    request_code(PHONE, "login")
    message = Message.objects.get()
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=301), tick=False):
        deliver(message.idempotency_key)  # before the sweep marked the code expired
    assert cancelled_unsent(message, zalo_api)
    assert "expired" in message.error_message


def test_a_superseded_codes_message_queued_again_is_cancelled_not_sent(account, zalo_api):
    request_code(PHONE, "login")
    old = Message.objects.get()
    # A worker holds it while a newer code is asked for, then gives it back (a retry, or
    # its lease ran out): the withdrawal at the new request could not cancel it.
    Message.objects.filter(pk=old.pk).update(status=Message.Status.SENDING)
    request_code(PHONE, "login")
    Message.objects.filter(pk=old.pk).update(status=Message.Status.QUEUED, next_attempt_at=None)
    assert OtpChallenge.objects.filter(message=old).get().status == "superseded"
    deliver(old.idempotency_key)
    assert cancelled_unsent(old, zalo_api)
    assert "newer request" in old.error_message


def test_a_verified_codes_message_is_cancelled_not_sent(account, zalo_api):
    request_code(PHONE, "login")
    message = Message.objects.get()
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENDING)
    verify_code(PHONE, "login", message.params["otp"])
    Message.objects.filter(pk=message.pk).update(status=Message.Status.QUEUED)
    deliver(message.idempotency_key)
    assert cancelled_unsent(message, zalo_api)


def test_a_live_codes_message_is_sent(account, zalo_api):
    request_code(PHONE, "login")
    message = Message.objects.get()
    zalo_api.send_ok()
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
