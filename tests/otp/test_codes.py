"""Codes: random digits, stored as a keyed hash only, compared in constant time."""

from __future__ import annotations

import hmac

import pytest

from zns_notify.conf import app_settings
from zns_notify.models import OtpChallenge, OtpCheck
from zns_notify.otp import OtpRefused, Refusal, codes, request_code, verify_code


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


# -- client IPs: one client, one count, however its address is spelt -------------------------


@pytest.mark.parametrize(
    "spellings",
    [
        ["2001:db8::1", "2001:DB8::1", "2001:db8:0:0:0:0:0:1", " 2001:db8::1 "],
        # An IPv6 client holds its whole /64 (SLAAC, privacy addresses): one client.
        ["2001:db8::1", "2001:db8::ffff", "2001:db8:0:0:1:2:3:4"],
        ["fe80::1%eth0", "fe80::2"],  # a zone names the host's interface, not the client
        # An IPv4 client seen through a dual-stack socket.
        ["203.0.113.7", "::ffff:203.0.113.7", "::FFFF:cb00:7107"],
    ],
)
def test_the_spellings_of_one_client_hash_alike(spellings):
    assert len({codes.ip_hash(ip) for ip in spellings}) == 1


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("2001:db8::1", "2001:db8:0:1::1"),  # the next /64: another client
        ("203.0.113.7", "203.0.113.8"),  # IPv4 is not bucketed: a NAT is one address
        ("0.0.0.1", "::1"),
    ],
)
def test_other_clients_hash_apart(one, other):
    assert codes.ip_hash(one) != codes.ip_hash(other)


@pytest.mark.parametrize(
    "ip",
    [
        "unknown",
        "203.0.113.7, 10.0.0.1",
        "203.0.113.256",
        "203.0.113.07",
        "2001:db8::1::2",
        "localhost",
    ],
)
def test_what_is_not_an_ip_is_refused_without_being_repeated(ip):
    # Counted as spelt, each string would be a client of its own; ignored, it would lift
    # the per-IP limits. Neither: the caller is told, and the address is not echoed.
    with pytest.raises(ValueError, match="client_ip") as refused:
        codes.ip_hash(ip)
    assert ip.strip() not in str(refused.value)


@pytest.mark.django_db
def test_the_per_ip_limit_counts_every_spelling_of_a_client(clock, sent, otp_settings):
    otp_settings(OTP_LIMIT_PER_IP=(2, 3600), OTP_RESEND_COOLDOWN=0)
    request_code("0912345678", "login", client_ip="2001:db8::1")
    request_code("0987654321", "login", client_ip="2001:DB8::2")  # another address, its /64
    with pytest.raises(OtpRefused) as refused:
        request_code("0934567890", "login", client_ip="2001:db8:0:0:0:0:0:3")
    assert refused.value.code == Refusal.RATE_LIMITED
    request_code("0934567890", "login", client_ip="2001:db8:0:1::3")  # another /64
    request_code("0971234567", "login", client_ip="203.0.113.7")
    request_code("0971234568", "login", client_ip="::ffff:203.0.113.7")
    with pytest.raises(OtpRefused):
        request_code("0971234569", "login", client_ip="203.0.113.7")


@pytest.mark.django_db
def test_a_request_or_check_with_what_is_not_an_ip_stores_nothing(clock, sent, otp_settings):
    with pytest.raises(ValueError, match="client_ip"):
        request_code("0912345678", "login", client_ip="203.0.113.7, 10.0.0.1")
    assert not OtpChallenge.objects.exists() and not sent
    request_code("0912345678", "login")
    with pytest.raises(ValueError, match="client_ip"):
        verify_code("0912345678", "login", "000000", client_ip="unknown")
    assert OtpChallenge.objects.get().tries_used == 0  # no wrong try counted
    assert not OtpCheck.objects.exists()
    assert verify_code("0912345678", "login", sent[0].code).phone == "84912345678"
