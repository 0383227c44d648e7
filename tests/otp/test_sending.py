"""request_code writes the ZNS message that carries the code: through the event path's
insert and enqueue, in the request's transaction, development mode respected."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_q.models import OrmQ

from tests.factories import TemplateFactory
from tests.otp.conftest import NORMALIZED, PHONE
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.models import Message, OtpChallenge, Template
from zns_notify.otp import request_code, verify_code
from zns_notify.sending.claim import worker_name

pytestmark = pytest.mark.django_db(transaction=False)

CODE = {"name": "otp", "type": "OTP", "require": True, "max_length": 10}


@pytest.fixture
def template():
    return TemplateFactory(template_id="500", params=[CODE])


def test_the_code_goes_out_as_the_templates_code_parameter(clock, template):
    request_code(PHONE, "login")
    message = Message.objects.get()
    challenge = OtpChallenge.objects.get()
    assert challenge.message == message
    assert challenge.channel == OtpChallenge.Channel.ZNS
    assert (message.phone, message.template, message.zalo_template_id) == (
        NORMALIZED,
        template,
        "500",
    )
    assert (message.event, message.development_mode) == ("otp:login", False)
    assert message.binding is None and message.created_at == clock.now
    code = message.params["otp"]
    assert list(message.params) == ["otp"] and code.isdigit() and len(code) == 6
    # Claimed by this process, to send once the request commits (otp.lane): no queue entry.
    assert (message.status, message.attempts, message.claimed_by) == (
        Message.Status.SENDING,
        1,
        worker_name(),
    )
    assert OrmQ.objects.count() == 0
    assert verify_code(PHONE, "login", code).phone == NORMALIZED


def test_without_sending_from_the_request_the_worker_is_handed_it(clock, template, otp_settings):
    otp_settings(OTP_SEND_FROM_REQUEST=False)
    request_code(PHONE, "login")
    message = Message.objects.get()
    assert (message.status, message.attempts) == (Message.Status.QUEUED, 0)
    # Like an event's message (the tests' broker is the ORM one).
    assert OrmQ.objects.count() == 1


def test_each_request_writes_its_own_message(clock, template, otp_settings):
    otp_settings(OTP_RESEND_COOLDOWN=0)
    request_code(PHONE, "login")
    request_code(PHONE, "login")
    first, second = Message.objects.order_by("pk")
    assert first.idempotency_key != second.idempotency_key
    assert first.params != second.params or first.pk != second.pk
    live = OtpChallenge.objects.get(status=OtpChallenge.Status.PENDING)
    assert live.message == second


def test_development_mode_is_respected(clock, template, otp_settings):
    otp_settings(DEVELOPMENT_MODE=True)
    request_code(PHONE, "login")
    assert Message.objects.get().development_mode is True


def test_the_configured_parameter_of_the_configured_template(clock, otp_settings):
    TemplateFactory(template_id="500", params=[CODE])
    chosen = TemplateFactory(
        template_id="600",
        params=[
            {"name": "ma", "type": "STRING", "require": True, "max_length": 10},
            {"name": "phut", "type": "NUMBER", "require": False, "max_length": 3},
        ],
    )
    otp_settings(OTP_TEMPLATE_ID="600", OTP_CODE_PARAM="ma")
    request_code(PHONE, "sign_up")
    message = Message.objects.get()
    assert message.template == chosen and list(message.params) == ["ma"]


def test_nothing_is_stored_or_queued_when_the_request_rolls_back(clock, template):
    with pytest.raises(RuntimeError), transaction.atomic():
        request_code(PHONE, "login")
        raise RuntimeError("the shop's view failed after asking")
    assert not Message.objects.exists()
    assert not OtpChallenge.objects.exists()
    assert not OrmQ.objects.exists()


def test_no_otp_template_refuses_the_request_and_stores_nothing(clock):
    with pytest.raises(ZnsConfigurationError, match="OTP_TEMPLATE_ID"):
        request_code(PHONE, "login")
    assert not OtpChallenge.objects.exists() and not Message.objects.exists()


def test_a_template_zalo_does_not_allow_fails_the_message_at_once(clock, otp_settings):
    TemplateFactory(template_id="500", params=[CODE], status=Template.Status.DISABLE)
    otp_settings(OTP_TEMPLATE_ID="500")
    answer = request_code(PHONE, "login")  # the caller's answer is the same as ever
    assert answer.expires_at > clock.now
    message = Message.objects.get()
    assert message.status == Message.Status.FAILED
    assert "500" in message.error_message and "DISABLE" in message.error_message
    assert not OrmQ.objects.exists()  # a code held until a re-review would come too late


def test_a_code_longer_than_the_parameter_allows_fails_the_message(clock, otp_settings):
    TemplateFactory(template_id="500", params=[{**CODE, "max_length": 4}])
    otp_settings(OTP_CODE_LENGTH=6)
    request_code(PHONE, "login")
    message = Message.objects.get()
    assert message.status == Message.Status.FAILED and message.error_category == "payload"
    assert not OrmQ.objects.exists()


def test_another_required_parameter_fails_the_message_with_its_name(clock, otp_settings):
    TemplateFactory(
        template_id="500",
        params=[CODE, {"name": "minutes", "type": "NUMBER", "require": True, "max_length": 3}],
    )
    otp_settings(OTP_TEMPLATE_ID="500", OTP_CODE_PARAM="otp")
    request_code(PHONE, "login")
    message = Message.objects.get()
    assert message.status == Message.Status.FAILED and "minutes" in message.error_message
