"""API_OTP_THROTTLE_RATE counts per customer: the caller is usually the shop's one backend
user, so a count per user alone would let one customer's calls throttle every other. With
``client_ip`` the count is per (user, client IP); without it, per user."""

from __future__ import annotations

import pytest

from tests.factories import TemplateFactory
from zns_notify.otp import codes

pytestmark = pytest.mark.django_db

REQUEST = "/zns/api/otp/request/"
VERIFY = "/zns/api/otp/verify/"
ABUSER = "203.0.113.7"
CUSTOMER = "198.51.100.20"


@pytest.fixture
def backend(api, make_user, monkeypatch, settings):
    api.default_format = "json"
    monkeypatch.setattr(codes, "new_code", lambda: "480613")
    TemplateFactory(template_id="500", params=[{"name": "otp", "type": "OTP", "require": True}])
    api.force_authenticate(make_user("add_otpchallenge", name="backend"))
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "API_OTP_THROTTLE_RATE": "2/minute"}
    return api


def check(api, client_ip=None, phone="0912345678"):
    body = {"phone": phone, "purpose": "login", "code": "000000"}
    if client_ip is not None:
        body["client_ip"] = client_ip
    return api.post(VERIFY, body)


def test_one_customers_calls_do_not_throttle_another(backend):
    for _ in range(2):
        assert check(backend, ABUSER).status_code == 400
    throttled = check(backend, ABUSER)
    assert throttled.status_code == 429 and "Retry-After" in throttled
    # The same backend user, for another customer: not throttled.
    assert check(backend, CUSTOMER, phone="0987654321").status_code == 400
    asked = backend.post(
        REQUEST, {"phone": "0987654321", "purpose": "login", "client_ip": CUSTOMER}
    )
    assert asked.status_code == 202, asked.content
    assert check(backend, CUSTOMER).status_code == 429


def test_one_address_written_two_ways_is_counted_once(backend):
    assert check(backend, "2001:db8::1").status_code == 400
    assert check(backend, "2001:DB8:0:0:0:0:0:1").status_code == 400
    assert check(backend, "2001:0db8::0001").status_code == 429


def test_calls_without_a_client_ip_share_the_users_count(backend):
    for _ in range(2):
        assert check(backend).status_code == 400
    assert check(backend).status_code == 429
    assert check(backend, CUSTOMER).status_code == 400  # a customer's own count is apart


def test_the_count_is_per_user_too(backend, make_user):
    for _ in range(2):
        check(backend, ABUSER)
    assert check(backend, ABUSER).status_code == 429
    backend.force_authenticate(make_user("add_otpchallenge", name="another_backend"))
    assert check(backend, ABUSER).status_code == 400


def test_a_body_that_is_not_an_object_is_counted_per_user(backend):
    for _ in range(2):
        assert backend.post(VERIFY, ["not", "an", "object"]).status_code == 400
    assert check(backend).status_code == 429


def test_an_ipv4_address_mapped_into_ipv6_is_counted_as_itself(backend):
    assert check(backend, ABUSER).status_code == 400
    assert check(backend, f"::ffff:{ABUSER}").status_code == 400
    assert check(backend, ABUSER).status_code == 429
