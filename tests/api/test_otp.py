"""POST /zns/api/otp/request/ and /zns/api/otp/verify/: the Python API's calls over HTTP,
with every refusal's code, and answers that say nothing about the phone."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.factories import TemplateFactory
from zns_notify.conf import app_settings
from zns_notify.models import Message, OtpChallenge
from zns_notify.otp import codes

pytestmark = pytest.mark.django_db

REQUEST = "/zns/api/otp/request/"
VERIFY = "/zns/api/otp/verify/"
CODE = "480613"


@pytest.fixture(autouse=True)
def _json(api):
    api.default_format = "json"  # the API parses JSON only


@pytest.fixture
def caller(api, make_user, monkeypatch):
    monkeypatch.setattr(codes, "new_code", lambda: CODE)
    TemplateFactory(template_id="500", params=[{"name": "otp", "type": "OTP", "require": True}])
    api.force_authenticate(make_user("add_otpchallenge", name="backend"))
    return api


def test_a_code_is_requested_then_verified_once(caller):
    asked = caller.post(
        REQUEST, {"phone": "0912 345 678", "purpose": "login", "client_ip": "203.0.113.7"}
    )
    assert asked.status_code == 202, asked.content
    assert set(asked.json()) == {"expires_at", "resend_at"}
    assert Message.objects.get().params == {"otp": CODE}
    verified = caller.post(VERIFY, {"phone": "+84912345678", "purpose": "login", "code": CODE})
    assert verified.status_code == 200, verified.content
    assert verified.json()["phone"] == "84912345678"
    assert set(verified.json()) == {"phone", "purpose", "verified_at"}
    again = caller.post(VERIFY, {"phone": "0912345678", "purpose": "login", "code": CODE})
    assert again.status_code == 400 and again.json()["code"] == "reused"


def test_any_valid_phone_gets_the_same_answer(caller):
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC), tick=False):
        bodies = [
            caller.post(REQUEST, {"phone": phone, "purpose": "login"}).json()
            for phone in ("0912345678", "0987654321")
        ]
    assert bodies[0] == bodies[1]


def test_a_wrong_code_says_nothing_else(caller):
    caller.post(REQUEST, {"phone": "0912345678", "purpose": "login"})
    wrong = caller.post(VERIFY, {"phone": "0912345678", "purpose": "login", "code": "000000"})
    assert wrong.status_code == 400
    # No count of tries left: the same body as for a phone that never asked (below).
    assert wrong.json() == {"code": "invalid_code", "message": "This code is not right."}
    assert CODE not in wrong.content.decode()


def test_a_check_for_a_phone_never_asked_looks_like_a_wrong_code(caller):
    answer = caller.post(VERIFY, {"phone": "0912345678", "purpose": "login", "code": "123456"})
    assert answer.status_code == 400 and answer.json() == {
        "code": "invalid_code",
        "message": "This code is not right.",
    }


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        ({"phone": "0912345678", "purpose": "lottery"}, "unknown_purpose"),
        ({"phone": "024 3825 1234", "purpose": "login"}, "invalid_phone"),
    ],
)
def test_a_bad_request_is_refused_with_its_code_and_without_the_phone(caller, body, refusal):
    answer = caller.post(REQUEST, body)
    assert answer.status_code == 400 and answer.json()["code"] == refusal
    assert "3825" not in answer.content.decode()


def test_the_cooldown_answers_429_with_retry_after(caller):
    caller.post(REQUEST, {"phone": "0912345678", "purpose": "login"})
    again = caller.post(REQUEST, {"phone": "0912345678", "purpose": "login"})
    assert again.status_code == 429
    assert again.json()["code"] == "cooldown"
    assert int(again["Retry-After"]) == again.json()["retry_after"] > 0


def test_unknown_fields_and_missing_ones_are_named(caller):
    answer = caller.post(REQUEST, {"phone": "0912345678", "purpose": "login", "code": "1"})
    assert answer.status_code == 400 and answer.json() == {"code": ["Unknown field."]}
    answer = caller.post(VERIFY, {"phone": "0912345678", "purpose": "login"})
    assert answer.status_code == 400 and "code" in answer.json()
    assert caller.post(REQUEST, {"purpose": "login", "client_ip": "x"}).json().keys() == {
        "phone",
        "client_ip",
    }


def test_codes_need_the_permission(api, make_user):
    assert api.post(REQUEST, {"phone": "0912345678", "purpose": "login"}).status_code == 401
    api.force_authenticate(make_user("view_message"))
    refused = api.post(REQUEST, {"phone": "0912345678", "purpose": "login"})
    assert refused.status_code == 403 and "add_otpchallenge" in refused.json()["detail"]
    assert not Message.objects.exists()


def test_no_otp_template_is_a_503_that_names_no_template(api, make_user):
    api.force_authenticate(make_user("add_otpchallenge"))
    answer = api.post(REQUEST, {"phone": "0912345678", "purpose": "login"})
    assert answer.status_code == 503
    assert "OTP_TEMPLATE_ID" not in answer.json()["detail"]


def test_the_endpoints_are_throttled_per_user(caller, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "API_OTP_THROTTLE_RATE": "2/minute"}
    for _ in range(2):
        caller.post(VERIFY, {"phone": "0912345678", "purpose": "login", "code": "1"})
    throttled = caller.post(REQUEST, {"phone": "0912345678", "purpose": "login"})
    assert throttled.status_code == 429 and "Retry-After" in throttled


def test_checks_from_one_client_ip_are_limited_alike_for_every_phone(caller, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "OTP_VERIFY_LIMIT_PER_IP": (2, 600)}
    caller.post(REQUEST, {"phone": "0912345678", "purpose": "login"})
    for phone in ("0987654321", "0934567890"):
        caller.post(
            VERIFY, {"phone": phone, "purpose": "login", "code": "1", "client_ip": "203.0.113.7"}
        )
    answers = [
        caller.post(
            VERIFY, {"phone": phone, "purpose": "login", "code": CODE, "client_ip": "203.0.113.7"}
        )
        for phone in ("0912345678", "0971234567")  # one with a live code, one without
    ]
    assert [answer.status_code for answer in answers] == [429, 429]
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["code"] == "rate_limited"
    assert int(answers[0]["Retry-After"]) == answers[0].json()["retry_after"] > 0
    # Another client, or none given, is not held back by this one's checks.
    right = caller.post(VERIFY, {"phone": "0912345678", "purpose": "login", "code": CODE})
    assert right.status_code == 200


@pytest.mark.parametrize(
    "ip",
    ["unknown", "203.0.113.7, 10.0.0.1", "203.0.113.256", "203.0.113.07", "2001:db8::1::2", ""],
)
@pytest.mark.parametrize("url", [REQUEST, VERIFY])
def test_a_client_ip_that_is_not_one_address_is_a_400_naming_it(caller, url, ip):
    body = {"phone": "0912345678", "purpose": "login", "code": CODE, "client_ip": ip}
    if url == REQUEST:
        del body["code"]
    answer = caller.post(url, body)
    assert answer.status_code == 400 and list(answer.json()) == ["client_ip"]
    assert not ip or ip not in answer.content.decode()
    assert not Message.objects.exists()


def test_the_spellings_of_one_client_share_its_limit(caller, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "OTP_LIMIT_PER_IP": (2, 3600)}
    answers = [
        caller.post(REQUEST, {"phone": phone, "purpose": "login", "client_ip": ip})
        for phone, ip in (
            ("0912345678", "2001:db8::1"),
            ("0987654321", "2001:DB8:0:0::2"),
            ("0934567890", "2001:db8::3"),
        )
    ]
    assert [answer.status_code for answer in answers] == [202, 202, 429]
    assert answers[2].json()["code"] == "rate_limited"


# -- every refusal of a check over REST: a clear body, nothing leaked -------------------------

START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
PHONE_BODY = {"phone": "0912345678", "purpose": "login"}


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def refused_check(caller, code: str, expected: str):
    """The check of ``code`` for PHONE_BODY's phone, refused with ``expected``: its body is
    the code and the message only, with neither the code, its hash nor the phone in it."""
    answer = caller.post(VERIFY, {**PHONE_BODY, "code": code})
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert body["code"] == expected and body["message"]
    assert set(body) <= {"code", "message", "tries_left"}  # tries_left: not asserted on
    text = answer.content.decode()
    for secret in (CODE, *OtpChallenge.objects.values_list("code_hash", flat=True)):
        assert secret not in text
    assert "912345678" not in text
    return body


def test_an_expired_code_over_rest(caller, clock):
    caller.post(REQUEST, PHONE_BODY)
    clock.shift(dt.timedelta(seconds=app_settings.OTP_TTL + 1))
    body = refused_check(caller, CODE, "expired")
    assert body == {"code": "expired", "message": "This code has expired. Ask for a new one."}


def test_a_reused_code_over_rest(caller, clock):
    caller.post(REQUEST, PHONE_BODY)
    assert caller.post(VERIFY, {**PHONE_BODY, "code": CODE}).status_code == 200
    body = refused_check(caller, CODE, "reused")
    assert body == {
        "code": "reused",
        "message": "This code has already been used. Ask for a new one.",
    }


def test_too_many_tries_over_rest(caller, clock, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "OTP_MAX_TRIES": 2}
    caller.post(REQUEST, PHONE_BODY)
    for wrong in ("000000", "111111"):  # what they answer is another test's
        assert caller.post(VERIFY, {**PHONE_BODY, "code": wrong}).status_code == 400
    body = refused_check(caller, CODE, "too_many_tries")
    assert body == {"code": "too_many_tries", "message": "Too many wrong codes. Ask for a new one."}


def test_a_request_over_a_limit_is_a_429_with_the_limits_retry_after(caller, clock, settings):
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "OTP_LIMIT_PER_IP": (1, 3600),
        "OTP_RESEND_COOLDOWN": 0,  # not the cooldown's wait: the limit's
    }
    ip = {"client_ip": "203.0.113.7"}
    assert caller.post(REQUEST, {**PHONE_BODY, **ip}).status_code == 202
    clock.shift(dt.timedelta(seconds=10))
    answers = [
        caller.post(REQUEST, {"phone": phone, "purpose": "login", **ip})
        for phone in ("0912345678", "0987654321")  # one with a live code, one without
    ]
    for answer in answers:
        assert answer.status_code == 429, answer.content
        body = answer.json()
        assert body == {
            "code": "rate_limited",
            "message": "Too many codes were asked for. Try again later.",
            "retry_after": 3590,  # when the request counted falls out of the hour
        }
        assert answer["Retry-After"] == "3590"
        assert CODE not in answer.content.decode() and "203.0.113.7" not in answer.content.decode()
    assert answers[0].content == answers[1].content
