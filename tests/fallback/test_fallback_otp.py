"""The SMS fallback of one-time codes: a code's message has no binding, and its SMS comes
from the OTP_* settings: at once when Zalo says the phone cannot get ZNS, else when no
receipt came OTP_SMS_AFTER seconds after Zalo took it; the same code, never a dead one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import TemplateFactory
from zns_notify.models import DailyCount, FallbackStep, Message, MessageEvent, OtpChallenge
from zns_notify.otp import request_code, verify_code
from zns_notify.receipts.delivery import record_receipt as receipt
from zns_notify.reports import rollup
from zns_notify.tasks import send_fallbacks, send_messages

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "0912 345 678"
CODE_PARAM = {"name": "otp", "type": "OTP", "require": True, "max_length": 10}


@pytest.fixture
def otp_template(sms_outbox):
    return TemplateFactory(template_id="500", params=[CODE_PARAM])


@pytest.fixture
def configure(settings):
    def apply(**values):
        settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, **values}

    return apply


@pytest.fixture(autouse=True)
def _worker_sends(configure):
    """These tests drive the worker's path one step at a time, so the request does not
    send the code itself (tests/otp/test_lane.py covers that default)."""
    configure(OTP_SEND_FROM_REQUEST=False)


def _request(purpose: str = "login") -> tuple[Message, str]:
    request_code(PHONE, purpose)
    message = Message.objects.get(event=f"otp:{purpose}", status=Message.Status.QUEUED)
    return message, message.params["otp"]


def _due_now(step: FallbackStep) -> None:
    FallbackStep.objects.filter(pk=step.pk).update(due_at=timezone.now() - dt.timedelta(seconds=1))


@pytest.mark.parametrize(("code", "trigger"), [(-118, "not_on_zalo"), (-139, "refused")])
def test_a_phone_that_cannot_get_zns_gets_the_same_code_by_sms_at_once(
    account, zalo_api, otp_template, sms_outbox, code, trigger
):
    message, code_sent = _request()
    zalo_api.send_error(code, "cannot receive ZNS")
    send_messages([message.idempotency_key])
    step = FallbackStep.objects.get(message=message)
    assert (step.reason, step.trigger, step.status) == ("immediate", trigger, "scheduled")

    assert send_fallbacks([step.reference]) == 1
    [sms] = sms_outbox
    assert sms.phone == "84912345678"
    assert sms.text == f"Ma xac thuc {code_sent} cho Log-in. Het han sau 5 phut."
    step.refresh_from_db()
    assert (step.status, step.segments, step.cost) == ("sent", 1, 850)
    # The step's stored text, which the delivery log shows, never holds the code.
    assert code_sent not in step.text and "••••••" in step.text
    assert OtpChallenge.objects.get().channel == OtpChallenge.Channel.SMS
    assert verify_code(PHONE, "login", code_sent).phone == "84912345678"
    # Its cost is in the reports' SMS figures, like every fallback SMS's.
    rollup.compute_day(timezone.localdate(message.created_at), timezone.now())
    [row] = DailyCount.objects.filter(channel="sms")
    assert (row.event, row.status, row.segments, row.cost) == ("otp:login", "sent", 1, 850)


def test_no_receipt_within_otp_sms_after_sends_the_sms(
    account, zalo_api, otp_template, sms_outbox, configure
):
    configure(OTP_SMS_AFTER=7)
    message, code_sent = _request()
    zalo_api.send_ok()
    send_messages([message.idempotency_key])
    message.refresh_from_db()
    step = FallbackStep.objects.get(message=message)
    assert (step.reason, step.trigger) == ("window", "window")
    assert step.due_at == message.sent_at + dt.timedelta(seconds=7)
    assert send_fallbacks([step.reference]) == 0  # not due yet
    _due_now(step)
    assert send_fallbacks([step.reference]) == 1
    assert [s.text for s in sms_outbox] == [
        f"Ma xac thuc {code_sent} cho Log-in. Het han sau 5 phut."
    ]
    assert OtpChallenge.objects.get().channel == "sms"


def test_the_default_window_is_twenty_seconds(account, zalo_api, otp_template):
    message, _code = _request()
    zalo_api.send_ok()
    send_messages([message.idempotency_key])
    message.refresh_from_db()
    step = FallbackStep.objects.get(message=message)
    assert step.due_at - message.sent_at == dt.timedelta(seconds=20)


def test_a_receipt_within_the_window_cancels_the_sms(account, zalo_api, otp_template, sms_outbox):
    message, _code = _request()
    zalo_api.send_ok(msg_id="m-otp-1")
    send_messages([message.idempotency_key])
    assert receipt(message.pk, timezone.now(), "m-otp-1")[0] == "applied"
    step = FallbackStep.objects.get(message=message)
    _due_now(step)
    assert send_fallbacks([step.reference]) == 0
    assert sms_outbox == []
    assert OtpChallenge.objects.get().channel == "zns"


def test_a_code_verified_or_superseded_meanwhile_is_never_texted(
    account, zalo_api, otp_template, sms_outbox, configure
):
    configure(OTP_RESEND_COOLDOWN=0)
    first, first_code = _request()
    zalo_api.send_ok(msg_id="m-1")
    send_messages([first.idempotency_key])
    second, second_code = _request()  # the first code is dead now
    zalo_api.send_ok(msg_id="m-2")
    send_messages([second.idempotency_key])
    verify_code(PHONE, "login", second_code)
    for step in FallbackStep.objects.all():
        _due_now(step)
        assert send_fallbacks([step.reference]) == 0
    assert sms_outbox == []
    assert set(FallbackStep.objects.values_list("status", flat=True)) == {"cancelled"}
    notes = MessageEvent.objects.filter(message=first, kind="note").values_list("detail", flat=True)
    assert any("no longer valid" in note for note in notes)


def test_an_expired_code_is_never_texted(account, zalo_api, otp_template, sms_outbox):
    message, _code = _request()
    zalo_api.send_ok()
    send_messages([message.idempotency_key])
    OtpChallenge.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    step = FallbackStep.objects.get()
    _due_now(step)
    assert send_fallbacks([step.reference]) == 0
    assert sms_outbox == []


def test_the_text_comes_from_otp_sms_text(account, zalo_api, otp_template, sms_outbox, configure):
    configure(OTP_SMS_TEXT="{code} la ma {purpose} cua ban ({minutes} phut)")
    message, code_sent = _request("sign_up")
    zalo_api.send_error(-118)
    send_messages([message.idempotency_key])
    send_fallbacks([FallbackStep.objects.get().reference])
    assert [s.text for s in sms_outbox] == [f"{code_sent} la ma Sign-up cua ban (5 phut)"]


def test_without_an_sms_provider_no_step(account, zalo_api, otp_template, settings):
    settings.ZNS_NOTIFY = {k: v for k, v in settings.ZNS_NOTIFY.items() if k != "SMS_PROVIDER"}
    message, _code = _request()
    zalo_api.send_error(-118)
    send_messages([message.idempotency_key])
    assert not FallbackStep.objects.exists()


def test_development_mode_sends_no_sms(account, zalo_api, otp_template, configure):
    configure(DEVELOPMENT_MODE=True)
    request_code(PHONE, "login")
    message = Message.objects.get()
    zalo_api.send_error(-118)
    send_messages([message.idempotency_key])
    assert not FallbackStep.objects.exists()
