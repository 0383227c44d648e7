"""The generic HTTP provider: request built from settings, answer read from settings."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from zns_notify.sms import SmsConfigurationError, SmsErrorKind, get_provider
from zns_notify.sms.providers.http import GenericHttpProvider

URL = "https://sms.example.vn/api/send"
OPTIONS = {
    "url": URL,
    "headers": {"Authorization": "Bearer T0KEN", "X-Ref": "{reference}"},
    "body": {
        "to": "{phone_e164}",
        "local": "{phone_local}",
        "message": "{text}",
        "meta": {"ref": "{reference}", "unicode": "{unicode}", "parts": "{segments}"},
        "tags": ["zns-fallback", "{encoding}"],
    },
    "success_field": "status",
    "success_values": ["ok"],
    "message_id_field": "data.0.id",
    "error_code_field": "error.code",
    "error_message_field": "error.message",
    "duplicate_values": ["DUPLICATE"],
    "retryable_codes": ["BUSY"],
    "configuration_codes": ["NO_CREDIT"],
    "idempotent": True,
}


@pytest.fixture
def gateway():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


def test_json_body_and_headers_are_filled(gateway):
    gateway.add(responses.POST, URL, json={"status": "ok", "data": [{"id": 77}]})
    result = GenericHttpProvider(OPTIONS).send("0912345678", 'Đơn "DH1" {x}', reference="R-1")
    request = gateway.calls[0].request
    assert json.loads(request.body) == {
        "to": "+84912345678",
        "local": "0912345678",
        "message": 'Đơn "DH1" {x}',
        "meta": {"ref": "R-1", "unicode": "1", "parts": "1"},
        "tags": ["zns-fallback", "UCS-2"],
    }
    assert request.headers["Authorization"] == "Bearer T0KEN"
    assert request.headers["X-Ref"] == "R-1"
    assert (result.accepted, result.message_id, result.provider) == (True, "77", "http")


def test_form_body(gateway):
    gateway.add(responses.PUT, URL, json={"status": "ok"})
    GenericHttpProvider(
        {
            "url": URL,
            "method": "put",
            "body_format": "form",
            "body": {"to": "{phone}", "msg": "{text}"},
        }
    ).send("0912345678", "a&b=c", reference="r")
    assert parse_qs(gateway.calls[0].request.body) == {"to": ["84912345678"], "msg": ["a&b=c"]}


def test_query_body_with_get(gateway):
    gateway.add(responses.GET, URL, body="OK")  # plain text: no answer fields configured
    result = GenericHttpProvider(
        {
            "url": URL,
            "method": "GET",
            "body_format": "query",
            "body": {"to": "{phone}", "msg": "{text}"},
        }
    ).send("0912345678", "xin chao", reference="r")
    query = parse_qs(urlsplit(gateway.calls[0].request.url).query)
    assert query == {"to": ["84912345678"], "msg": ["xin chao"]}
    assert result.accepted and result.message_id == ""


@pytest.mark.parametrize(
    ("answer", "kind", "code", "message"),
    [
        (
            {"status": "error", "error": {"code": "BUSY", "message": "busy"}},
            SmsErrorKind.RETRYABLE,
            "BUSY",
            "busy",
        ),
        (
            {"status": "error", "error": {"code": "NO_CREDIT", "message": "top up"}},
            SmsErrorKind.CONFIGURATION,
            "NO_CREDIT",
            "top up",
        ),
        (
            {"status": "error", "error": {"code": "BAD_PHONE"}},
            SmsErrorKind.PERMANENT,
            "BAD_PHONE",
            "http refused the SMS",
        ),
    ],
)
def test_error_answers(gateway, answer, kind, code, message):
    gateway.add(responses.POST, URL, json=answer)
    result = GenericHttpProvider(OPTIONS).send("0912345678", "hi", reference="r")
    assert (result.accepted, result.error_kind, result.error_code, result.error_message) == (
        False,
        kind,
        code,
        message,
    )


def test_duplicate_code_means_accepted(gateway):
    gateway.add(responses.POST, URL, json={"status": "error", "error": {"code": "DUPLICATE"}})
    result = GenericHttpProvider(OPTIONS).send("0912345678", "hi", reference="r")
    assert (result.accepted, result.duplicate) == (True, True)
    assert GenericHttpProvider(OPTIONS).idempotent is True
    assert GenericHttpProvider({"url": URL}).idempotent is False


@pytest.mark.parametrize(
    ("status", "kind", "ambiguous"),
    [
        (401, SmsErrorKind.CONFIGURATION, False),
        (403, SmsErrorKind.CONFIGURATION, False),
        (400, SmsErrorKind.PERMANENT, False),
        (502, SmsErrorKind.RETRYABLE, True),
    ],
)
def test_http_statuses(gateway, status, kind, ambiguous):
    gateway.add(responses.POST, URL, status=status, json={"status": "error"})
    result = GenericHttpProvider({"url": URL}).send("0912345678", "hi", reference="r")
    assert (result.accepted, result.error_kind, result.ambiguous, result.error_code) == (
        False,
        kind,
        ambiguous,
        f"HTTP {status}",
    )


def test_success_needs_a_2xx_without_a_success_field(gateway):
    gateway.add(responses.POST, URL, status=202, json={"id": "abc"})
    result = GenericHttpProvider({"url": URL, "message_id_field": "id"}).send(
        "0912345678", "hi", reference="r"
    )
    assert (result.accepted, result.message_id) == (True, "abc")


def test_placeholders_are_not_evaluated(gateway):
    # str.format would expand "{text.__class__}"; the provider only replaces known names.
    gateway.add(responses.POST, URL, json={})
    GenericHttpProvider({"url": URL, "body": {"m": "{text}"}}).send(
        "0912345678", "{phone.__class__} {reference}", reference="r"
    )
    assert json.loads(gateway.calls[0].request.body) == {"m": "{phone.__class__} {reference}"}


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({}, '["url"] is required'),
        ({"url": "ftp://x"}, "must be an http(s) URL"),
        ({"url": URL, "method": "DELETE"}, '["method"] must be one of GET, POST, PUT'),
        ({"url": URL, "body_format": "xml"}, '["body_format"] must be one of json, form, query'),
        ({"url": URL, "body": {"to": "{phone_number}"}}, "unknown placeholders {phone_number}"),
        ({"url": URL, "headers": ["x"]}, '["headers"] must be a dict'),
        ({"url": URL, "success_field": "ok"}, '["success_values"] is required'),
    ],
)
def test_option_problems(options, problem, sms_settings):
    assert any(problem in p for p in GenericHttpProvider.option_problems(options))
    sms_settings(SMS_PROVIDER="http", SMS_PROVIDER_OPTIONS=options)
    with pytest.raises(SmsConfigurationError):
        get_provider()
