"""Codes: random digits, stored as a keyed hash only, compared in constant time."""

from __future__ import annotations

import hmac

import pytest

from zns_notify.conf import app_settings
from zns_notify.otp import codes


def test_codes_have_the_configured_length_and_keep_leading_zeros(otp_settings, monkeypatch):
    otp_settings(OTP_CODE_LENGTH=8)
    monkeypatch.setattr(codes.secrets, "randbelow", lambda bound: 42)
    assert codes.new_code() == "00000042"


def test_codes_come_from_the_secrets_module(otp_settings):
    otp_settings(OTP_CODE_LENGTH=6)
    drawn = {codes.new_code() for _ in range(50)}
    assert all(len(code) == 6 and code.isdigit() for code in drawn)
    assert len(drawn) > 40  # random, not a counter or a constant


def test_the_hash_is_keyed_and_bound_to_phone_and_purpose(otp_settings):
    stored = codes.code_hash("84912345678", "login", "123456")
    assert len(stored) == 64 and "123456" not in stored
    assert codes.code_matches(stored, "84912345678", "login", "123456")
    assert not codes.code_matches(stored, "84912345678", "login", "123457")
    assert not codes.code_matches(stored, "84987654321", "login", "123456")
    assert not codes.code_matches(stored, "84912345678", "sign_up", "123456")
    otp_settings(OTP_HASH_KEY="another key of enough length")
    assert not codes.code_matches(stored, "84912345678", "login", "123456")


def test_the_default_key_is_derived_from_secret_key_not_equal_to_it(settings):
    derived = app_settings.OTP_HASH_KEY
    assert derived != settings.SECRET_KEY.encode() and len(derived) == 32
    settings.SECRET_KEY = "another-secret-key"
    assert app_settings.OTP_HASH_KEY != derived


def test_the_comparison_is_constant_time(monkeypatch):
    compared = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(codes.hmac, "compare_digest", spy)
    stored = codes.code_hash("84912345678", "login", "123456")
    assert codes.code_matches(stored, "84912345678", "login", "123456")
    assert compared == [(stored, stored)]


@pytest.mark.parametrize("ip", [None, ""])
def test_no_ip_hashes_to_nothing(ip):
    assert codes.ip_hash(ip) == ""


def test_an_ip_is_stored_hashed():
    assert codes.ip_hash("203.0.113.7") != codes.ip_hash("203.0.113.8")
    assert "203.0.113.7" not in codes.ip_hash("203.0.113.7")
