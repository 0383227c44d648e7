"""The SMS fallback of one-time codes: a code's message has no binding, and its SMS comes
from the OTP_* settings: at once when Zalo says the phone cannot get ZNS, else when no
receipt came OTP_SMS_AFTER seconds after the code was requested; the same code, never a
dead one."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from tests.factories import TemplateFactory
from zns_notify.models import (
    DailyCount,
    FallbackStep,
    Message,
    MessageEvent,
    OtpChallenge,
    ZaloAccount,
)
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
    assert step.due_at == message.created_at + dt.timedelta(seconds=7)
    assert send_fallbacks([step.reference]) == 0  # not due yet
    _due_now(step)
    assert send_fallbacks([step.reference]) == 1
    assert [s.text for s in sms_outbox] == [
        f"Ma xac thuc {code_sent} cho Log-in. Het han sau 5 phut."
    ]
    assert OtpChallenge.objects.get().channel == "sms"


#: A fixed moment for the tests that move the clock: none depends on today's date or hour.
REQUESTED = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def _sent_after(zalo_api, seconds: float) -> tuple[Message, FallbackStep]:
    """A code requested at REQUESTED, which Zalo accepted ``seconds`` later."""
    # The account's token was made for the real clock's day: valid at REQUESTED too.
    ZaloAccount.objects.update(
        access_token_expires_at=REQUESTED + dt.timedelta(hours=25),
        refresh_token_expires_at=REQUESTED + dt.timedelta(days=90),
    )
    with time_machine.travel(REQUESTED, tick=False) as traveller:
        message, _code = _request()
        traveller.shift(dt.timedelta(seconds=seconds))
        zalo_api.send_ok()
        send_messages([message.idempotency_key])
    message.refresh_from_db()
    return message, FallbackStep.objects.get(message=message)


def test_the_default_window_is_twenty_seconds_from_the_request(account, zalo_api, otp_template):
    message, step = _sent_after(zalo_api, 0)
    assert message.created_at == REQUESTED
    assert step.due_at == REQUESTED + dt.timedelta(seconds=20)


def test_the_window_counts_from_the_request_not_from_zalos_acceptance(
    account, zalo_api, otp_template
):
    """The customer has waited since the request: a code Zalo took 15 s to accept gets
    its SMS 5 s later, not 20."""
    message, step = _sent_after(zalo_api, 15)
    assert message.sent_at == REQUESTED + dt.timedelta(seconds=15)
    assert step.due_at == REQUESTED + dt.timedelta(seconds=20)
    assert step.created_at == message.sent_at


def test_a_window_over_before_zalo_took_the_code_makes_the_sms_due_at_once(
    account, zalo_api, otp_template
):
    message, step = _sent_after(zalo_api, 45)
    assert step.due_at == message.sent_at == REQUESTED + dt.timedelta(seconds=45)
    assert (step.reason, step.trigger) == ("window", "window")


@pytest.mark.parametrize(("after", "due"), [(3, 20), (60, 60)])
def test_an_ambiguous_give_up_waits_out_the_window_from_the_request(
    account, otp_template, configure, after, due
):
    from zns_notify.sending import ambiguity

    configure(AMBIGUOUS_SENDS="fail")
    with time_machine.travel(REQUESTED, tick=False) as traveller:
        message, _code = _request()
        Message.objects.filter(pk=message.pk).update(status="sending", attempts=1)
        message.refresh_from_db()
        traveller.shift(dt.timedelta(seconds=after))
        assert ambiguity.recover(message)
    step = FallbackStep.objects.get(message=message)
    assert (step.reason, step.trigger) == ("window", "failed")
    assert step.due_at == REQUESTED + dt.timedelta(seconds=due)


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


# -- a code's message that fails before Zalo is asked -----------------------------------


@pytest.fixture
def pushed(monkeypatch):
    """The SMS tasks queued (after the commit), instead of the broker."""
    from zns_notify.fallback import steps

    references: list[str] = []
    monkeypatch.setattr(steps, "push_fallback_task", references.extend)
    return references


@pytest.mark.parametrize(
    ("template", "trigger"),
    [
        ({"status": "DISABLE"}, "template"),  # a template Zalo does not allow
        ({"params": [{**CODE_PARAM, "max_length": 4}]}, "failed"),  # a code too long for it
    ],
)
def test_a_code_failed_at_the_request_goes_by_sms_at_once(
    sms_outbox, configure, pushed, template, trigger
):
    TemplateFactory(template_id="500", **{"params": [CODE_PARAM], **template})
    configure(OTP_TEMPLATE_ID="500")
    request_code(PHONE, "login")
    message = Message.objects.get()
    assert message.status == Message.Status.FAILED
    step = FallbackStep.objects.get(message=message)
    assert (step.reason, step.trigger, step.status) == ("immediate", trigger, "scheduled")
    assert step.due_at == message.created_at
    assert pushed == [step.reference]  # queued once the request committed
    notes = MessageEvent.objects.filter(message=message, kind="note")
    assert any("the SMS is sent now" in note.detail for note in notes)

    assert send_fallbacks([step.reference]) == 1
    [sms] = sms_outbox
    code = sms.text.split()[3]
    assert sms.text == f"Ma xac thuc {code} cho Log-in. Het han sau 5 phut."
    assert OtpChallenge.objects.get().channel == OtpChallenge.Channel.SMS
    assert verify_code(PHONE, "login", code).phone == "84912345678"


def test_a_request_rolled_back_leaves_no_sms_step_and_queues_nothing(sms_outbox, configure, pushed):
    from django.db import transaction

    TemplateFactory(template_id="500", params=[CODE_PARAM], status="DISABLE")
    configure(OTP_TEMPLATE_ID="500")
    with pytest.raises(RuntimeError), transaction.atomic():
        request_code(PHONE, "login")
        raise RuntimeError("the shop's view failed after asking")
    assert not FallbackStep.objects.exists() and not Message.objects.exists()
    assert pushed == []


@pytest.mark.parametrize("without", ["provider", "development_mode"])
def test_a_code_failed_at_the_request_without_sms_has_no_step(settings, configure, pushed, without):
    TemplateFactory(template_id="500", params=[CODE_PARAM], status="DISABLE")
    configure(OTP_TEMPLATE_ID="500")
    if without == "provider":
        settings.ZNS_NOTIFY = {k: v for k, v in settings.ZNS_NOTIFY.items() if k != "SMS_PROVIDER"}
    else:
        configure(SMS_PROVIDER="locmem", DEVELOPMENT_MODE=True)
    request_code(PHONE, "login")
    assert Message.objects.get().status == Message.Status.FAILED
    assert not FallbackStep.objects.exists() and pushed == []


# -- a code's message the send gate stops: never held, the SMS at once --------------------


def _stopped_at_the_gate(message: Message, trigger: str, sms_outbox, code: str) -> None:
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "Given up for the SMS fallback" in message.error_message
    step = FallbackStep.objects.get(message=message)
    assert (step.reason, step.trigger, step.status) == ("immediate", trigger, "scheduled")
    assert send_fallbacks([step.reference]) == 1
    assert [s.text for s in sms_outbox] == [f"Ma xac thuc {code} cho Log-in. Het han sau 5 phut."]


def test_an_account_hold_sends_the_code_by_sms_at_once(account, zalo_api, otp_template, sms_outbox):
    from zns_notify.models import SendingHold

    SendingHold.objects.create(
        account=account,
        error_code=-137,
        reason="Charge ZCA failed",
        until=timezone.now() + dt.timedelta(hours=1),
    )
    message, code = _request()
    send_messages([message.idempotency_key])  # no call to Zalo: zalo_api has none queued
    _stopped_at_the_gate(message, "failed", sms_outbox, code)


def test_the_oas_daily_quota_used_up_sends_the_code_by_sms_at_once(
    account, zalo_api, otp_template, sms_outbox
):
    from zns_notify.lib.clock import local_day
    from zns_notify.models import ZaloQuota

    ZaloQuota.objects.create(account=account, day=local_day(), daily_quota=500, remaining_quota=0)
    message, code = _request()
    send_messages([message.idempotency_key])
    _stopped_at_the_gate(message, "quota", sms_outbox, code)


def test_a_template_disabled_since_the_request_sends_the_code_by_sms_at_once(
    account, zalo_api, otp_template, sms_outbox
):
    message, code = _request()
    type(otp_template).objects.filter(pk=otp_template.pk).update(status="DISABLE")
    send_messages([message.idempotency_key])
    _stopped_at_the_gate(message, "template", sms_outbox, code)


def test_a_template_gone_since_the_request_sends_the_code_by_sms_at_once(
    account, zalo_api, otp_template, sms_outbox
):
    message, code = _request()
    otp_template.delete()
    send_messages([message.idempotency_key])
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    step = FallbackStep.objects.get(message=message)
    assert (step.reason, step.trigger) == ("immediate", "template")
    assert send_fallbacks([step.reference]) == 1
    assert [s.text for s in sms_outbox] == [f"Ma xac thuc {code} cho Log-in. Het han sau 5 phut."]


def test_an_order_message_still_waits_for_the_oas_quota(account, make_message, sms_outbox):
    """Only a code gives up a wait its binding did not choose to give up."""
    from zns_notify.lib.clock import local_day
    from zns_notify.models import ZaloQuota

    ZaloQuota.objects.create(account=account, day=local_day(), daily_quota=500, remaining_quota=0)
    message = make_message()
    send_messages([message.idempotency_key])
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED and not FallbackStep.objects.exists()


@pytest.mark.parametrize(
    ("action", "code", "trigger"),
    [
        ("config", None, "template"),  # the gate's hold of a template not ENABLE
        ("config", -131, "template"),
        ("config", -137, "failed"),  # an account's hold
        ("reschedule", None, "quota"),  # the quota ledger's stop
        ("reschedule", -144, "quota"),
        ("reschedule", -133, "failed"),  # a window of Zalo's
        ("retry", None, None),  # a lost connection's short wait is waited out
    ],
)
def test_which_waits_a_code_gives_up_and_as_what(action, code, trigger):
    from zns_notify.fallback.triggers import given_up_wait

    assert given_up_wait(action, code) == trigger
