"""An SMS gateway that echoes the text it was given (a Twilio-style ``{"body": …}``, an
error quoting the message) would put a one-time code in the step's stored answer, its
error and the delivery log's notes: for a code's message, every one of them has the code
replaced by ``••••••`` before it is stored, and the clearing takes out any left over."""

from __future__ import annotations

import datetime as dt

import pytest
import responses
import time_machine

from tests.factories import TemplateFactory
from zns_notify.models import FallbackStep, Message, MessageEvent, OtpChallenge
from zns_notify.models.otp import HIDDEN_CODE as HIDDEN
from zns_notify.otp import codes, request_code, verify_code
from zns_notify.tasks import send_fallbacks, send_messages

pytestmark = pytest.mark.django_db(transaction=True)

CODE = "907153"
GATEWAY = "https://sms.example.vn/api/send"
START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(START, tick=False):
        yield


@pytest.fixture
def echoing_gateway(settings, monkeypatch):
    """The "http" provider against a gateway answering with the text it was sent."""
    monkeypatch.setattr(codes, "new_code", lambda: CODE)
    base = {k: v for k, v in settings.ZNS_NOTIFY.items() if not k.startswith("SMS_")}
    settings.ZNS_NOTIFY = {
        **base,
        "OTP_SEND_FROM_REQUEST": False,
        "SMS_PROVIDER": "http",
        "SMS_PROVIDER_OPTIONS": {
            "url": GATEWAY,
            "body": {"to": "{phone}", "body": "{text}"},
            "success_field": "status",
            "success_values": ["queued"],
            "message_id_field": "sid",
            "error_code_field": "code",
            "error_message_field": "message",
        },
    }
    TemplateFactory(template_id="500", params=[{"name": "otp", "type": "OTP", "require": True}])


def _code_by_sms(zalo_api, answer: dict) -> FallbackStep:
    """A code Zalo cannot deliver (-118), its SMS sent, the gateway answering ``answer``
    with the text it was given in it."""
    request_code("0912 345 678", "login")
    message = Message.objects.get(event="otp:login")
    zalo_api.send_error(-118, "not on Zalo")
    send_messages([message.idempotency_key])
    step = FallbackStep.objects.get(message=message)
    text = f"Ma xac thuc {CODE} cho Log-in. Het han sau 5 phut."
    zalo_api.rsps.add(responses.POST, GATEWAY, json={**answer, "body": text})
    send_fallbacks([step.reference])
    step.refresh_from_db()
    return step


def _nothing_stored_holds_the_code(step: FallbackStep) -> None:
    assert CODE not in str(step.result) and CODE not in step.error_message
    assert CODE not in step.text
    # The notes the delivery log shows (the attempt's request body holds the code until
    # the clearing, as documented: Zalo needed it there).
    notes = MessageEvent.objects.filter(message_id=step.message_id, kind=MessageEvent.Kind.NOTE)
    assert notes.exists()
    for note in notes:
        assert CODE not in note.detail


def test_a_sent_sms_stores_the_gateways_echo_without_the_code(account, zalo_api, echoing_gateway):
    step = _code_by_sms(zalo_api, {"status": "queued", "sid": "SM1"})
    assert step.status == "sent"
    assert step.result["raw"] == {
        "status": "queued",
        "sid": "SM1",
        "body": f"Ma xac thuc {HIDDEN} cho Log-in. Het han sau 5 phut.",
    }
    _nothing_stored_holds_the_code(step)
    assert OtpChallenge.objects.get().channel == OtpChallenge.Channel.SMS


def test_a_refused_sms_stores_the_error_and_the_echo_without_the_code(
    account, zalo_api, echoing_gateway
):
    refusal = {"status": "failed", "code": "21610", "message": f"Cannot deliver 'Ma {CODE}'"}
    step = _code_by_sms(zalo_api, refusal)
    assert step.status == "failed"
    assert f"Cannot deliver 'Ma {HIDDEN}'" in step.error_message
    assert step.result["raw"]["body"].startswith(f"Ma xac thuc {HIDDEN} ")
    assert step.result["error_message"] == f"Cannot deliver 'Ma {HIDDEN}'"
    _nothing_stored_holds_the_code(step)


def test_the_clearing_takes_a_code_left_in_the_steps_answer_out(account, zalo_api, echoing_gateway):
    # A step recorded before its answer was hidden (or by a host's own code).
    step = _code_by_sms(zalo_api, {"status": "queued", "sid": "SM1"})
    FallbackStep.objects.filter(pk=step.pk).update(
        result={"raw": {"body": f"Ma {CODE}", "parts": [f"x{CODE}", 1]}},
        error_message=f"echo {CODE}",
    )
    verify_code("0912 345 678", "login", CODE)  # used up: the clearing runs
    assert OtpChallenge.objects.get().code_cleared_at is not None
    step.refresh_from_db()
    assert step.result == {"raw": {"body": f"Ma {HIDDEN}", "parts": [f"x{HIDDEN}", 1]}}
    assert step.error_message == f"echo {HIDDEN}"
