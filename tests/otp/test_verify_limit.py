"""OTP_VERIFY_LIMIT_PER_IP: checks of codes from one client IP, whatever the phones, are
limited, so that nobody guesses codes across many phones; counted in the database, only
for checks that give the client's IP, with the same refusal whether a code exists or not."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.otp.conftest import PHONE
from zns_notify.models import OtpChallenge, OtpCheck
from zns_notify.otp import OtpRefused, Refusal, codes, request_code, verify_code

pytestmark = pytest.mark.django_db(transaction=False)

IP = "203.0.113.7"
PHONES = [f"09123456{n:02d}" for n in range(10, 40)]


def refused(*args, **kwargs) -> OtpRefused:
    with pytest.raises(OtpRefused) as caught:
        verify_code(*args, **kwargs)
    return caught.value


def guess(phone: str, ip: str | None = IP) -> Refusal:
    return refused(phone, "login", "000000", client_ip=ip).code


def test_the_default_is_thirty_checks_an_hour(clock, sent):
    from zns_notify.conf import app_settings

    assert app_settings.OTP_VERIFY_LIMIT_PER_IP == (30, 3600)
    for phone in PHONES[:30]:
        assert guess(phone) == Refusal.INVALID_CODE
    refusal = refused(PHONES[0], "login", "000000", client_ip=IP)
    assert (refusal.code, refusal.retry_after) == (Refusal.RATE_LIMITED, 3600)
    assert "tried" in refusal.message


def test_checks_across_many_phones_are_counted_together(clock, sent, otp_settings):
    otp_settings(OTP_VERIFY_LIMIT_PER_IP=(3, 600))
    assert [guess(phone) for phone in PHONES[:3]] == [Refusal.INVALID_CODE] * 3
    assert guess(PHONES[3]) == Refusal.RATE_LIMITED
    assert guess(PHONES[3], ip="203.0.113.8") == Refusal.INVALID_CODE  # another client


def test_the_refusal_is_the_same_whether_a_code_exists_or_not(clock, sent, otp_settings):
    otp_settings(OTP_VERIFY_LIMIT_PER_IP=(2, 600), OTP_TTL=1800)
    request_code(PHONE, "login")
    guess(PHONES[0])
    guess(PHONES[1])
    clock.advance(30)
    with_code = refused(PHONE, "login", sent[0].code, client_ip=IP)
    without = refused(PHONES[2], "login", "123456", client_ip=IP)
    assert (
        with_code.as_dict()
        == without.as_dict()
        == {
            "code": "rate_limited",
            "message": "Too many codes were tried. Try again later.",
            "retry_after": 570,
        }
    )
    # Refused before the code was looked at: no try used, the right code still works later.
    assert OtpChallenge.objects.get().tries_used == 0
    clock.advance(570)
    assert verify_code(PHONE, "login", sent[0].code, client_ip=IP).phone == "84912345678"


def test_right_codes_count_too(clock, sent, otp_settings):
    otp_settings(OTP_VERIFY_LIMIT_PER_IP=(1, 600))
    request_code(PHONE, "login")
    verify_code(PHONE, "login", sent[0].code, client_ip=IP)
    assert guess(PHONES[0]) == Refusal.RATE_LIMITED


def test_the_limit_passes_with_its_window(clock, sent, otp_settings):
    otp_settings(OTP_VERIFY_LIMIT_PER_IP=(2, 600))
    guess(PHONES[0])
    clock.advance(100)
    guess(PHONES[1])
    assert refused(PHONES[2], "login", "1", client_ip=IP).retry_after == 500
    clock.advance(500)
    assert guess(PHONES[2]) == Refusal.INVALID_CODE


def test_refused_checks_are_not_counted(clock, sent, otp_settings):
    """A client hammering past the limit does not push its end further away."""
    otp_settings(OTP_VERIFY_LIMIT_PER_IP=(1, 600))
    guess(PHONES[0])
    for _ in range(5):
        assert guess(PHONES[1]) == Refusal.RATE_LIMITED
    assert OtpCheck.objects.count() == 1
    clock.advance(600)
    assert guess(PHONES[1]) == Refusal.INVALID_CODE


def test_checks_without_a_client_ip_are_not_counted(clock, sent, otp_settings):
    otp_settings(OTP_VERIFY_LIMIT_PER_IP=(1, 600))
    for phone in PHONES[:3]:
        assert guess(phone, ip=None) == Refusal.INVALID_CODE
    assert not OtpCheck.objects.exists()


def test_a_count_of_zero_turns_it_off(clock, sent, otp_settings):
    otp_settings(OTP_VERIFY_LIMIT_PER_IP=(0, 600))
    for phone in PHONES[:5]:
        assert guess(phone) == Refusal.INVALID_CODE
    assert not OtpCheck.objects.exists()


def test_refusals_before_the_limit_are_not_counted(clock, sent, otp_settings):
    """An unknown purpose or a phone that is not one is refused before anything is counted."""
    otp_settings(OTP_VERIFY_LIMIT_PER_IP=(1, 600))
    assert refused(PHONE, "lottery", "1", client_ip=IP).code == Refusal.UNKNOWN_PURPOSE
    assert refused("024 3825 1234", "login", "1", client_ip=IP).code == Refusal.INVALID_PHONE
    assert not OtpCheck.objects.exists()


def test_only_the_ips_keyed_hash_is_stored(clock, sent):
    guess(PHONES[0])
    check = OtpCheck.objects.get()
    assert check.ip_hash == codes.ip_hash(IP) and IP not in check.ip_hash
    assert check.created_at == clock.now


def test_the_refusal_speaks_vietnamese(clock, sent, otp_settings):
    otp_settings(OTP_VERIFY_LIMIT_PER_IP=(1, 600))
    guess(PHONES[0])
    with translation.override("vi"):
        message = refused(PHONES[1], "login", "1", client_ip=IP).message
    assert message == "Đã nhập quá nhiều mã. Vui lòng thử lại sau."
