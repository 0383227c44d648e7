"""The OTP_* settings: defaults, and the system check for values that cannot be read."""

from __future__ import annotations

import pytest

from zns_notify.conf import app_settings
from zns_notify.otp.checks import check_otp_settings


def test_defaults():
    assert app_settings.OTP_CODE_LENGTH == 6
    assert app_settings.OTP_TTL == 300
    assert app_settings.OTP_MAX_TRIES == 5
    assert app_settings.OTP_RESEND_COOLDOWN == 60
    assert app_settings.OTP_KEEP_DAYS == 30
    assert set(app_settings.OTP_PURPOSES) == {"sign_up", "login", "checkout"}
    assert check_otp_settings() == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("OTP_CODE_LENGTH", 3),
        ("OTP_CODE_LENGTH", 11),
        ("OTP_CODE_LENGTH", 6.0),
        ("OTP_TTL", 0),
        ("OTP_MAX_TRIES", 0),
        ("OTP_RESEND_COOLDOWN", -1),
        ("OTP_LIMIT_PER_PHONE", 5),
        ("OTP_LIMIT_PER_PHONE", (5, 0)),
        ("OTP_LIMIT_PER_IP", (-1, 60)),
        ("OTP_LIMIT_PER_PURPOSE", (True, 60)),
        ("OTP_VERIFY_LIMIT_PER_IP", (30,)),
        ("OTP_VERIFY_LIMIT_PER_IP", (30, 86401)),
        ("OTP_KEEP_DAYS", 0),
        ("OTP_KEEP_DAYS", "30"),
        ("OTP_PURPOSES", {}),
        ("OTP_PURPOSES", ["login"]),
        ("OTP_HASH_KEY", "short"),
        ("OTP_SMS_AFTER", 2),
        ("OTP_SMS_AFTER", 601),
        ("OTP_SMS_TEXT", "Ma xac thuc cho {purpose}"),
        ("OTP_SMS_TEXT", "Ma {code} {unknown}"),
        ("OTP_SMS_TEXT", "Ma {code} {"),
    ],
)
def test_a_bad_value_is_a_system_check_error_naming_the_key(settings, key, value):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, key: value}
    errors = check_otp_settings()
    assert [error.id for error in errors] == ["zns_notify.E050"]
    assert f'ZNS_NOTIFY["{key}"]' in errors[0].msg


def test_sms_defaults_fit_one_gsm7_segment():
    from zns_notify import sms

    assert app_settings.OTP_SMS_AFTER == 20
    text = app_settings.OTP_SMS_TEXT.format(
        code="9" * 10, purpose="Checkout confirmation", minutes=60
    )
    count = sms.count_segments(text)
    assert (count.encoding, count.segments) == (sms.GSM7, 1)


def test_an_sms_text_longer_than_one_segment_is_a_warning(settings):
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "SMS_PROVIDER": "locmem",
        "OTP_SMS_TEXT": "Ma xac thuc cua ban la {code}. " + "x" * 140,
    }
    [warning] = check_otp_settings()
    assert warning.id == "zns_notify.W051" and "OTP_SMS_TEXT" in warning.msg
    assert "2 segments" in warning.msg
