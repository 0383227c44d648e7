"""The real eSMS provider over loopback HTTP against the sandbox's eSMS mode."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from zns_notify.sandbox import SandboxServer, defaults
from zns_notify.sms import SmsErrorKind, get_provider, send_sms

PHONE = "0912345678"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(seed=11).start()
    yield server
    server.stop()


@pytest.fixture
def esms(sandbox, sms_settings):
    options = {
        "api_key": defaults.DEMO_ESMS_API_KEY,
        "secret_key": defaults.DEMO_ESMS_SECRET_KEY,
        "brandname": "DemoShop",
        "base_url": sandbox.url,
        "timeout": (1.0, 0.5),
    }
    sms_settings(SMS_PROVIDER="esms", SMS_PROVIDER_OPTIONS=options, SMS_COST_PER_SEGMENT=850)
    return options


def knob(sandbox: SandboxServer, path: str, body: dict) -> None:
    response = requests.post(f"{sandbox.url}/_sandbox/{path}", json=body, timeout=5)
    assert response.status_code == 200, response.text


def recorded(sandbox: SandboxServer) -> list[dict]:
    return requests.get(f"{sandbox.url}/_sandbox/sms", timeout=5).json()["sms"]


def test_vietnamese_order_text_goes_out_stripped(sandbox, esms):
    result = send_sms(PHONE, "Đơn hàng DH240512 của chị Hằng đã được giao.", reference="m-1")
    assert result.accepted and len(result.message_id) == 31
    assert (result.segments, str(result.cost)) == (1, "850")
    [sms] = recorded(sandbox)
    expected = {
        "sms_id": result.message_id,
        "phone": "84912345678",
        "content": "Don hang DH240512 cua chi Hang da duoc giao.",
        "is_unicode": False,
        "brandname": "DemoShop",
        "request_id": "m-1",
        "sms_type": "2",
    }
    assert {key: sms[key] for key in expected} == expected


def test_unicode_text_is_flagged(sandbox, esms):
    send_sms(PHONE, "Đơn hàng đã giao", reference="m-1", strip=False)
    assert recorded(sandbox)[0]["is_unicode"] is True


def test_retry_with_the_same_reference_sends_once(sandbox, esms):
    first = send_sms(PHONE, "Xin chao", reference="m-1")
    again = send_sms(PHONE, "Xin chao", reference="m-1")
    assert again.accepted and again.duplicate and again.message_id == first.message_id
    assert len(recorded(sandbox)) == 1


def test_timeout_after_accepting_is_ambiguous_and_a_retry_resolves_it(sandbox, esms):
    knob(
        sandbox,
        "faults",
        {"timeout_rate": 1.0, "timeout_seconds": 2.0, "paths": ["/MainService.svc"]},
    )
    first = send_sms(PHONE, "Xin chao", reference="m-1")
    assert (first.accepted, first.error_kind, first.ambiguous) == (
        False,
        SmsErrorKind.RETRYABLE,
        True,
    )
    assert len(recorded(sandbox)) == 1  # eSMS took it; the answer came too late
    knob(sandbox, "faults", {"timeout_rate": 0.0})
    again = send_sms(PHONE, "Xin chao", reference="m-1")
    assert again.accepted and again.duplicate
    assert len(recorded(sandbox)) == 1


def test_provider_down_is_retryable(sandbox, esms):
    knob(sandbox, "faults", {"sms_down": True})
    result = send_sms(PHONE, "Xin chao", reference="m-1")
    assert (result.accepted, result.error_kind, result.error_code) == (
        False,
        SmsErrorKind.RETRYABLE,
        "HTTP 503",
    )
    assert recorded(sandbox) == []
    knob(sandbox, "faults", {"sms_down": False})
    assert send_sms(PHONE, "Xin chao", reference="m-1").accepted


def test_sandbox_stopped_is_a_connection_failure(sandbox, esms):
    sandbox.stop()
    result = send_sms(PHONE, "Xin chao", reference="m-1")
    assert (result.accepted, result.error_kind, result.ambiguous) == (
        False,
        SmsErrorKind.RETRYABLE,
        False,
    )


def test_http_500_fault_is_ambiguous(sandbox, esms):
    knob(sandbox, "faults", {"http_500_rate": 1.0, "paths": ["/MainService.svc"]})
    result = send_sms(PHONE, "Xin chao", reference="m-1")
    assert (result.error_kind, result.ambiguous, result.error_code) == (
        SmsErrorKind.RETRYABLE,
        True,
        "HTTP 500",
    )


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("103", SmsErrorKind.CONFIGURATION),
        ("99", SmsErrorKind.PERMANENT),
        ("177", SmsErrorKind.PERMANENT),
    ],
)
def test_forced_error_codes_reach_the_taxonomy(sandbox, esms, code, kind):
    knob(sandbox, "faults", {"sms_error_code": code})
    result = send_sms(PHONE, "Xin chao", reference="m-1")
    assert (result.accepted, result.error_kind, result.error_code) == (False, kind, code)
    assert result.cost is None


def test_wrong_keys_blocked_phone_unknown_brandname(sandbox, esms, sms_settings):
    blocked = send_sms("0999000099", "Xin chao", reference="m-1")
    assert (blocked.error_kind, blocked.error_code) == (SmsErrorKind.PERMANENT, "99")
    for options, code in (({"secret_key": "wrong"}, "101"), ({"brandname": "Nobody"}, "104")):
        sms_settings(SMS_PROVIDER="esms", SMS_PROVIDER_OPTIONS={**esms, **options})
        result = get_provider().send(PHONE, "Xin chao", reference="m-2")
        assert (result.error_kind, result.error_code) == (SmsErrorKind.CONFIGURATION, code)
    assert recorded(sandbox) == []


def test_generic_http_provider_can_describe_esms(sandbox, sms_settings):
    """The generic provider, configured as docs/sms.md shows for eSMS, over loopback."""
    sms_settings(
        SMS_PROVIDER="http",
        SMS_PROVIDER_OPTIONS={
            "url": sandbox.url + "/MainService.svc/json/SendMultipleMessage_V4_post_json/",
            "body": {
                "ApiKey": defaults.DEMO_ESMS_API_KEY,
                "SecretKey": defaults.DEMO_ESMS_SECRET_KEY,
                "Phone": "{phone_local}",
                "Content": "{text}",
                "SmsType": "2",
                "Brandname": "DemoShop",
                "IsUnicode": "{unicode}",
                "RequestId": "{reference}",
            },
            "success_field": "CodeResult",
            "success_values": ["100"],
            "message_id_field": "SMSID",
            "error_message_field": "ErrorMessage",
            "duplicate_values": ["124"],
            "configuration_codes": ["101", "103", "104"],
            "idempotent": True,
            "timeout": 2,
        },
    )
    first = send_sms(PHONE, "Đơn hàng đã giao", reference="g-1", strip=False)
    again = send_sms(PHONE, "Đơn hàng đã giao", reference="g-1", strip=False)
    assert first.accepted and (again.accepted, again.duplicate) == (True, True)
    [sms] = recorded(sandbox)
    assert (sms["sms_id"], sms["content"], sms["is_unicode"], sms["phone"]) == (
        first.message_id,
        "Đơn hàng đã giao",
        True,
        "84912345678",
    )
    blocked = send_sms("0999000099", "Xin chao", reference="g-2")
    assert (blocked.error_kind, blocked.error_code, blocked.error_message) == (
        SmsErrorKind.PERMANENT,
        "99",
        "The phone number is blocked in the system",
    )
