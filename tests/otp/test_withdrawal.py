"""A code no longer live never arrives late: when it is superseded, verified, locked or
expires, its message still waiting for the worker (queued or deferred) is cancelled with
a note saying why, and its scheduled SMS with it, in the transaction that changed the
code's status. A message a worker already claimed, or sent, is left alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import translation

from tests.factories import TemplateFactory
from tests.otp.conftest import PHONE
from tests.signal_capture import listening
from zns_notify import signals
from zns_notify.models import FallbackStep, Message, MessageEvent, OtpChallenge
from zns_notify.models.error_categories import CODE_NO_LONGER_VALID
from zns_notify.otp import OtpRefused, codes, request_code, verify_code
from zns_notify.otp.clearing import CLEARED, clear_due
from zns_notify.sending.cancel import cancel_waiting

pytestmark = pytest.mark.django_db

CODES = iter(f"{n:06d}" for n in range(200001, 200100))


@pytest.fixture(autouse=True)
def template():
    return TemplateFactory(template_id="500", params=[{"name": "otp", "type": "OTP"}])


@pytest.fixture
def issue(monkeypatch, otp_settings):
    """issue() -> (challenge, code): a request whose message waits for the worker (not
    sent by the request itself: these tests are about a message still queued)."""
    otp_settings(OTP_RESEND_COOLDOWN=0, OTP_SEND_FROM_REQUEST=False)

    def make():
        code = next(CODES)
        monkeypatch.setattr(codes, "new_code", lambda: code)
        request_code(PHONE, "login")
        return OtpChallenge.objects.get(status="pending"), code

    return make


def message_of(challenge: OtpChallenge) -> Message:
    return Message.objects.get(pk=challenge.message_id)


def notes(message: Message) -> list[str]:
    return list(
        MessageEvent.objects.filter(message=message, kind="note")
        .order_by("pk")
        .values_list("detail", flat=True)
    )


def assert_withdrawn(challenge: OtpChallenge, why: str) -> Message:
    message = message_of(challenge)
    assert (message.status, message.error_category) == ("cancelled", CODE_NO_LONGER_VALID)
    assert message.next_attempt_at is None
    assert message.error_message == why and why in notes(message)
    # Final now: nothing may send it, so its code is cleared at once.
    assert message.params == {"otp": CLEARED}
    return message


def test_a_superseded_codes_queued_message_is_cancelled(
    clock, issue, django_capture_on_commit_callbacks
):
    old, _ = issue()
    with (
        listening(signals.message_skipped) as seen,
        django_capture_on_commit_callbacks(execute=True),
    ):
        new, code = issue()
    message = assert_withdrawn(
        old, "Cancelled before it was sent: the one-time code was replaced by a newer request."
    )
    [(_signal, kwargs)] = seen
    assert (kwargs["rule"], kwargs["message"].pk) == (CODE_NO_LONGER_VALID, message.pk)
    assert message_of(new).status == "queued" and message_of(new).params == {"otp": code}


def test_a_deferred_message_is_cancelled_too(clock, issue):
    old, _ = issue()
    Message.objects.filter(pk=old.message_id).update(
        next_attempt_at=clock.now + dt.timedelta(hours=1), error_category="config"
    )
    issue()
    assert message_of(old).status == "cancelled"


def test_a_verified_codes_queued_message_is_cancelled(clock, issue):
    challenge, code = issue()
    verify_code(PHONE, "login", code)
    assert_withdrawn(challenge, "Cancelled before it was sent: the one-time code was already used.")


def test_a_locked_codes_queued_message_is_cancelled(clock, issue, otp_settings):
    otp_settings(OTP_MAX_TRIES=1)
    challenge, _ = issue()
    with pytest.raises(OtpRefused):
        verify_code(PHONE, "login", "000000")
    assert_withdrawn(
        challenge,
        "Cancelled before it was sent: the one-time code was locked after too many wrong codes.",
    )


def test_an_expired_codes_queued_message_is_cancelled_when_it_is_tried(clock, issue):
    challenge, code = issue()
    clock.advance(6 * 60)
    with pytest.raises(OtpRefused):
        verify_code(PHONE, "login", code)
    assert_withdrawn(challenge, "Cancelled before it was sent: the one-time code expired.")


def test_the_sweep_cancels_the_queued_message_of_a_code_that_ran_out(clock, issue):
    challenge, _ = issue()
    clock.advance(4 * 60)
    clear_due()
    assert message_of(challenge).status == "queued"  # still live
    clock.advance(2 * 60)
    assert clear_due() == 1
    challenge.refresh_from_db()
    assert challenge.status == "expired"
    assert_withdrawn(challenge, "Cancelled before it was sent: the one-time code expired.")


def test_the_sweep_finishes_what_a_transition_left_queued(clock, issue):
    """A dead code whose queued message was not withdrawn (a row written before this
    version, say): the sweep cancels it, then clears it."""
    challenge, _ = issue()
    OtpChallenge.objects.filter(pk=challenge.pk).update(status="superseded")
    assert clear_due() == 1
    assert message_of(challenge).status == "cancelled"


@pytest.mark.parametrize("status", ["sending", "sent", "delivered", "failed"])
def test_a_message_a_worker_claimed_or_finished_is_left_alone(clock, issue, status):
    old, code = issue()
    Message.objects.filter(pk=old.message_id).update(status=status)
    issue()
    message = message_of(old)
    assert message.status == status and message.error_category != CODE_NO_LONGER_VALID
    assert not any("Cancelled before it was sent" in note for note in notes(message))


def test_its_scheduled_sms_is_cancelled_with_it_and_a_note(clock, issue):
    old, _ = issue()
    step = FallbackStep.objects.create(
        message_id=old.message_id,
        reference="x-sms",
        reason="window",
        trigger="failed",
        due_at=clock.now + dt.timedelta(seconds=20),
    )
    issue()
    step.refresh_from_db()
    assert (step.status, step.cancelled_at) == ("cancelled", clock.now)
    assert "SMS fallback cancelled: the one-time code is no longer valid." in notes(message_of(old))


def test_the_cancellation_rolls_back_with_the_request(clock, issue):
    old, _ = issue()
    with pytest.raises(RuntimeError), transaction.atomic():
        issue()
        raise RuntimeError("the shop's view failed after asking")
    message = message_of(old)
    assert message.status == "queued" and not notes(message)
    assert OtpChallenge.objects.get(pk=old.pk).status == "pending"


def test_a_worker_that_claimed_the_message_first_keeps_it(clock, issue):
    """The cancellation's UPDATE requires the status it read: a claim between the read
    and the write wins, and nothing is written."""
    challenge, _ = issue()
    seen_queued = message_of(challenge)
    Message.objects.filter(pk=seen_queued.pk).update(status="sending")  # the worker's claim
    assert not cancel_waiting(seen_queued, rule=CODE_NO_LONGER_VALID, reason="late")
    message = message_of(challenge)
    assert message.status == "sending" and not notes(message)


def test_the_note_is_written_in_vietnamese_too(clock, issue):
    old, _ = issue()
    with translation.override("vi"):
        issue()
    message = message_of(old)
    assert message.error_message.startswith("Đã hủy trước khi gửi")
