"""Once a code can no longer be used (verified, expired, superseded, locked), it is taken
out of its message's parameters and the attempts' recorded request bodies; never while
the worker (or the SMS fallback) may still need it, and the sweep finishes what a
transition could not (a message still queued then, a code that simply ran out)."""

from __future__ import annotations

import pytest

from tests.factories import TemplateFactory
from tests.log.test_delivery_log import attempt
from tests.otp.conftest import PHONE
from zns_notify import tasks
from zns_notify.models import FallbackStep, Message, MessageEvent, OtpChallenge
from zns_notify.otp import OtpRefused, codes, request_code, verify_code
from zns_notify.otp.clearing import CLEARED, clear_due

pytestmark = pytest.mark.django_db

CODES = iter(f"{n:06d}" for n in range(100001, 100100))


@pytest.fixture
def template():
    return TemplateFactory(template_id="500", params=[{"name": "otp", "type": "OTP"}])


@pytest.fixture
def issue(monkeypatch, template, otp_settings):
    """issue(sent=True) -> (challenge, code): a request whose message the worker sent
    (an attempt recorded with the code), or left queued."""
    otp_settings(OTP_RESEND_COOLDOWN=0)

    def make(sent: bool = True):
        code = next(CODES)
        monkeypatch.setattr(codes, "new_code", lambda: code)
        request_code(PHONE, "login")
        challenge = OtpChallenge.objects.get(status="pending")
        if sent:
            message = challenge.message
            Message.objects.filter(pk=message.pk).update(status="sent", msg_id=f"m{code}")
            attempt(message, template_data={"otp": code})
        return challenge, code

    return make


def stored(challenge) -> tuple[dict, dict]:
    """The message's parameters and its attempt's recorded template_data."""
    message = Message.objects.get(pk=challenge.message_id)
    bodies = [
        event.payload["request"]["body"]["template_data"]
        for event in MessageEvent.objects.filter(message=message, kind="attempt")
    ]
    return message.params, (bodies[0] if bodies else {})


def cleared(challenge) -> bool:
    params, body = stored(challenge)
    return params == {"otp": CLEARED} and body in ({}, {"otp": CLEARED})


def test_a_verified_code_is_cleared(clock, issue):
    challenge, code = issue()
    assert stored(challenge) == ({"otp": code}, {"otp": code})
    verify_code(PHONE, "login", code)
    assert cleared(challenge)
    challenge.refresh_from_db()
    assert challenge.code_cleared_at == clock.now


def test_a_superseded_code_is_cleared_and_the_new_one_kept(clock, issue):
    old, _ = issue()
    new, code = issue(sent=False)
    assert cleared(old)
    assert stored(new)[0] == {"otp": code}
    assert verify_code(PHONE, "login", code)


def test_an_expired_code_is_cleared_when_it_is_tried(clock, issue, otp_settings):
    challenge, code = issue()
    clock.advance(10 * 60)
    with pytest.raises(OtpRefused):
        verify_code(PHONE, "login", code)
    assert cleared(challenge)


def test_a_locked_code_is_cleared(clock, issue, otp_settings):
    otp_settings(OTP_MAX_TRIES=1)
    challenge, _ = issue()
    with pytest.raises(OtpRefused):
        verify_code(PHONE, "login", "000000")
    assert cleared(challenge)


def test_a_wrong_try_leaves_the_live_code(clock, issue):
    challenge, code = issue()
    with pytest.raises(OtpRefused):
        verify_code(PHONE, "login", "000000")
    assert stored(challenge) == ({"otp": code}, {"otp": code})


def test_a_message_the_worker_holds_keeps_its_code_until_it_is_sent(clock, issue):
    """Superseded while the worker sends it: the worker still reads the parameters (a
    blank code would reach the customer), so the sweep clears it once it is sent. (One
    still queued is cancelled instead: tests/otp/test_withdrawal.py.)"""
    old, old_code = issue(sent=False)
    Message.objects.filter(pk=old.message_id).update(status="sending")
    issue(sent=False)
    assert stored(old)[0] == {"otp": old_code}
    assert clear_due() == 0
    Message.objects.filter(pk=old.message_id).update(status="sent")
    assert clear_due() == 1
    assert cleared(old)
    assert clear_due() == 0  # done once


def test_nothing_the_worker_holds_is_cleared(clock, issue):
    challenge, code = issue(sent=False)
    Message.objects.filter(pk=challenge.message_id).update(status="sending")
    clock.advance(10 * 60)
    clear_due()
    assert stored(challenge)[0] == {"otp": code}


def test_a_waiting_sms_step_keeps_the_code(clock, issue):
    challenge, code = issue()
    step = FallbackStep.objects.create(
        message_id=challenge.message_id,
        reference="x-sms",
        reason="window",
        trigger="window",
        due_at=clock.now,
    )
    verify_code(PHONE, "login", code)
    assert stored(challenge)[0] == {"otp": code}
    FallbackStep.objects.filter(pk=step.pk).update(status="sent")
    assert clear_due() == 1 and cleared(challenge)


def test_a_code_that_ran_out_is_expired_and_cleared_by_the_sweep(clock, issue):
    challenge, _ = issue()
    clock.advance(4 * 60)
    assert clear_due() == 0  # still live
    clock.advance(2 * 60)
    tasks.sweep()
    challenge.refresh_from_db()
    assert challenge.status == OtpChallenge.Status.EXPIRED and cleared(challenge)


def test_a_message_failed_at_once_is_cleared_too(clock, issue, template):
    challenge, code = issue()
    Message.objects.filter(pk=challenge.message_id).update(status="failed")
    verify_code(PHONE, "login", code)
    assert cleared(challenge)
