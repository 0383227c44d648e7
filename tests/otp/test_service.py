"""request_code / verify_code: every refusal has its code, superseding, single use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from tests.otp.conftest import NORMALIZED, PHONE
from zns_notify.models import OtpChallenge
from zns_notify.otp import OtpRefused, Refusal, request_code, verify_code

pytestmark = pytest.mark.django_db(transaction=False)


def refused(call, *args, **kwargs) -> OtpRefused:
    with pytest.raises(OtpRefused) as caught:
        call(*args, **kwargs)
    return caught.value


def test_a_requested_code_verifies_once(clock, sent):
    answer = request_code(PHONE, "login")
    assert [(s.phone, s.purpose) for s in sent] == [(NORMALIZED, "login")]
    assert answer.expires_at == clock.now + dt.timedelta(seconds=300)
    assert answer.resend_at == clock.now + dt.timedelta(seconds=60)
    clock.advance(10)
    verified = verify_code("+84912345678", "login", sent[0].code)
    assert (verified.phone, verified.purpose, verified.verified_at) == (
        NORMALIZED,
        "login",
        clock.now,
    )
    row = OtpChallenge.objects.get()
    assert (row.status, row.consumed_at) == (OtpChallenge.Status.VERIFIED, clock.now)
    refusal = refused(verify_code, PHONE, "login", sent[0].code)
    assert refusal.code == Refusal.REUSED and "already been used" in refusal.message


def test_an_expired_code_is_refused(clock, sent, otp_settings):
    otp_settings(OTP_TTL=120)
    request_code(PHONE, "login")
    clock.advance(119)
    clock.advance(1)
    assert refused(verify_code, PHONE, "login", sent[0].code).code == Refusal.EXPIRED
    assert OtpChallenge.objects.get().status == OtpChallenge.Status.EXPIRED


def test_too_many_wrong_codes_lock_the_code(clock, sent, otp_settings):
    otp_settings(OTP_MAX_TRIES=3)
    request_code(PHONE, "login")
    wrong = "000000" if sent[0].code != "000000" else "111111"
    # Every wrong try answers invalid_code, the one that locks the code too (no tries left
    # told: tests/otp/test_no_history.py).
    for _ in range(3):
        assert refused(verify_code, PHONE, "login", wrong).code == Refusal.INVALID_CODE
    # Locked: even the right code no longer works.
    assert refused(verify_code, PHONE, "login", sent[0].code).code == Refusal.TOO_MANY_TRIES
    assert OtpChallenge.objects.get().status == OtpChallenge.Status.LOCKED


def test_a_new_request_supersedes_the_live_code(clock, sent, otp_settings):
    otp_settings(OTP_RESEND_COOLDOWN=60)
    request_code(PHONE, "login")
    clock.advance(60)
    request_code(PHONE, "login")
    old, new = sent[0].code, sent[1].code
    statuses = list(OtpChallenge.objects.order_by("created_at").values_list("status", flat=True))
    assert statuses == [OtpChallenge.Status.SUPERSEDED, OtpChallenge.Status.PENDING]
    if old != new:
        assert refused(verify_code, PHONE, "login", old).code == Refusal.INVALID_CODE
    assert verify_code(PHONE, "login", new).phone == NORMALIZED


def test_the_resend_cooldown_says_when_to_retry(clock, sent, otp_settings):
    otp_settings(OTP_RESEND_COOLDOWN=60)
    request_code(PHONE, "login")
    clock.advance(45)
    refusal = refused(request_code, PHONE, "login")
    assert (refusal.code, refusal.retry_after) == (Refusal.COOLDOWN, 15)
    assert refusal.as_dict()["retry_after"] == 15
    assert len(sent) == 1 and OtpChallenge.objects.count() == 1
    # Another purpose is not held back by it.
    request_code(PHONE, "sign_up")


def test_the_limit_per_phone_counts_every_purpose(clock, sent, otp_settings):
    otp_settings(OTP_RESEND_COOLDOWN=0, OTP_LIMIT_PER_PHONE=(3, 600))
    for purpose in ("login", "sign_up", "checkout"):
        request_code(PHONE, purpose)
        clock.advance(100)
    refusal = refused(request_code, PHONE, "login")
    # The first request leaves the 600 s window 600 s after it, 300 s from now.
    assert (refusal.code, refusal.retry_after) == (Refusal.RATE_LIMITED, 300)
    request_code("0987654321", "login")  # another phone is not limited
    clock.advance(300)
    request_code(PHONE, "login")


def test_the_limit_per_purpose_counts_every_phone(clock, sent, otp_settings):
    otp_settings(OTP_LIMIT_PER_PURPOSE=(2, 60))
    request_code("0912345678", "checkout")
    request_code("0987654321", "checkout")
    refusal = refused(request_code, "0934567890", "checkout")
    assert (refusal.code, refusal.retry_after) == (Refusal.RATE_LIMITED, 60)
    request_code("0934567890", "login")


def test_the_limit_per_client_ip(clock, sent, otp_settings):
    otp_settings(OTP_LIMIT_PER_IP=(2, 3600))
    request_code("0912345678", "login", client_ip="203.0.113.7")
    request_code("0987654321", "login", client_ip="203.0.113.7")
    refusal = refused(request_code, "0934567890", "login", client_ip="203.0.113.7")
    assert refusal.code == Refusal.RATE_LIMITED
    request_code("0934567890", "login", client_ip="203.0.113.8")


def test_a_limit_of_zero_is_off(clock, sent, otp_settings):
    otp_settings(OTP_RESEND_COOLDOWN=0, OTP_LIMIT_PER_PHONE=(0, 60))
    for _ in range(8):
        request_code(PHONE, "login")
    assert OtpChallenge.objects.filter(status="pending").count() == 1


@pytest.mark.parametrize("call", ["request", "verify"])
def test_an_unknown_purpose_is_refused(clock, sent, call):
    args = (PHONE, "newsletter") if call == "request" else (PHONE, "newsletter", "123456")
    refusal = refused(request_code if call == "request" else verify_code, *args)
    assert refusal.code == Refusal.UNKNOWN_PURPOSE and not sent


@pytest.mark.parametrize("phone", ["", "12", "+1 202 555 0100", "024 3825 3535"])
def test_an_invalid_phone_is_refused_without_echoing_it(clock, sent, phone):
    refusal = refused(request_code, phone, "login")
    assert refusal.code == Refusal.INVALID_PHONE and not sent
    assert phone.strip() == "" or phone not in refusal.message


def test_requests_answer_alike_for_any_valid_phone(clock, sent):
    """Nothing says whether a phone has an account or a Zalo profile."""
    first = request_code("0912345678", "login")
    second = request_code("0987654321", "login")
    assert first == second


def test_a_check_without_a_requested_code_looks_like_a_wrong_code(clock, sent):
    refusal = refused(verify_code, "0987654321", "login", "123456")
    assert refusal.as_dict() == {"code": "invalid_code", "message": refusal.message}


def test_the_code_is_stored_nowhere_in_clear(clock, sent):
    request_code(PHONE, "login", client_ip="203.0.113.7")
    code = sent[0].code
    row = OtpChallenge.objects.values().get()
    for column, value in row.items():
        assert code not in str(value), column
        assert "203.0.113.7" not in str(value), column


def test_the_database_refuses_two_live_codes_for_one_phone_and_purpose(clock):
    """The guard under the supersede step, for two requests that race past it."""
    fields = dict(phone=NORMALIZED, purpose="login", code_hash="x" * 64)
    OtpChallenge.objects.create(**fields, created_at=clock.now, expires_at=clock.now)
    with pytest.raises(IntegrityError), transaction.atomic():
        OtpChallenge.objects.create(**fields, created_at=clock.now, expires_at=clock.now)
    OtpChallenge.objects.create(
        **fields, status="superseded", created_at=clock.now, expires_at=clock.now
    )


def test_refusals_speak_vietnamese(clock, sent):
    with translation.override("vi"):
        refusal = refused(verify_code, PHONE, "login", "123456")
    assert refusal.message == "Mã không đúng."
