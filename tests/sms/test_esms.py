"""eSMS's request format and answers, against the examples of its documentation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import responses

from zns_notify.sms import SmsErrorKind, count_segments
from zns_notify.sms.providers.esms import CODES, EsmsProvider

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://rest.esms.vn/MainService.svc/json/SendMultipleMessage_V4_post_json/"
OPTIONS = {"api_key": "API-KEY", "secret_key": "SECRET", "brandname": "DemoShop"}


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def esms_api():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


def sent_body(rsps) -> dict:
    return json.loads(rsps.calls[-1].request.body)


def test_customer_care_request_matches_the_documented_example(esms_api):
    example = fixture("esms_customer_care_request.json")
    esms_api.add(responses.POST, example["url"], json=fixture("esms_accepted.json"))
    provider = EsmsProvider(
        {**OPTIONS, "callback_url": "https://shop.vn/sms/cb", "campaign": "fallback"}
    )
    provider.send("0912345678", "Don hang DH1 da giao", reference="zns-42-sms")
    body = sent_body(esms_api)
    assert set(body) == set(example["body"])  # the documented fields, no others
    assert all(isinstance(value, str) for value in body.values())  # strings, as documented
    assert body == {
        "ApiKey": "API-KEY",
        "SecretKey": "SECRET",
        "Brandname": "DemoShop",
        "Phone": "0912345678",
        "Content": "Don hang DH1 da giao",
        "SmsType": "2",
        "IsUnicode": "0",
        "Sandbox": "0",
        "RequestId": "zns-42-sms",
        "CallbackUrl": "https://shop.vn/sms/cb",
        "campaignid": "fallback",
    }
    assert esms_api.calls[-1].request.headers["Content-Type"] == "application/json"


def test_fixed_number_request_matches_the_documented_example(esms_api):
    example = fixture("esms_fixed_number_request.json")
    esms_api.add(responses.POST, example["url"], json=fixture("esms_accepted.json"))
    provider = EsmsProvider(
        {"api_key": "{{ApiKey}}", "secret_key": "{{SecretKey}}", "sms_type": "8"}
    )
    provider.send("0901888484", "686868", reference="96accf59-0c41-4bc7-a5c4-4a466c2e41c2")
    # The documented body plus the two flags eSMS defaults when absent.
    assert sent_body(esms_api) == {**example["body"], "IsUnicode": "0", "Sandbox": "0"}


def test_unicode_and_sandbox_flags(esms_api):
    esms_api.add(responses.POST, URL, json=fixture("esms_accepted.json"))
    EsmsProvider({**OPTIONS, "sandbox": True}).send("84912345678", "Đơn hàng", reference="r")
    assert (sent_body(esms_api)["IsUnicode"], sent_body(esms_api)["Sandbox"]) == ("1", "1")


def test_documented_success_answer(esms_api):
    esms_api.add(responses.POST, URL, json=fixture("esms_accepted.json"))
    result = EsmsProvider(OPTIONS).send("0912345678", "Xin chao", reference="r")
    assert (result.accepted, result.message_id, result.duplicate) == (
        True,
        "d533459ee42b2b9525ba9eabf6a8156",
        False,
    )
    assert result.raw == fixture("esms_accepted.json")


def test_documented_authorize_failed_answer(esms_api):
    esms_api.add(responses.POST, URL, json=fixture("esms_authorize_failed.json"))
    result = EsmsProvider(OPTIONS).send("0912345678", "Xin chao", reference="r")
    assert (result.accepted, result.error_kind, result.error_code, result.error_message) == (
        False,
        SmsErrorKind.CONFIGURATION,
        "101",
        "Authorize Failed",
    )
    assert result.ambiguous is False


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("99", SmsErrorKind.PERMANENT),
        ("103", SmsErrorKind.CONFIGURATION),
        ("104", SmsErrorKind.CONFIGURATION),
        ("108", SmsErrorKind.PERMANENT),
        ("140", SmsErrorKind.CONFIGURATION),
        ("146", SmsErrorKind.PERMANENT),
        ("177", SmsErrorKind.PERMANENT),
        ("555", SmsErrorKind.RETRYABLE),
    ],
)
def test_error_codes_map_to_the_taxonomy(esms_api, code, kind):
    esms_api.add(responses.POST, URL, json={"CodeResult": code, "CountRegenerate": 0})
    result = EsmsProvider(OPTIONS).send("0912345678", "Xin chao", reference="r")
    assert (result.accepted, result.error_kind, result.error_code) == (False, kind, code)
    assert result.error_message == CODES.get(code, (None, "Unknown eSMS error"))[1]


def test_duplicate_request_id_means_already_accepted(esms_api):
    esms_api.add(
        responses.POST,
        URL,
        json={"CodeResult": "124", "CountRegenerate": 0, "ErrorMessage": "Duplicate RequestId"},
    )
    result = EsmsProvider(OPTIONS).send("0912345678", "Xin chao", reference="r")
    assert (result.accepted, result.duplicate, result.error_code) == (True, True, "124")
    assert EsmsProvider.idempotent is True


@pytest.mark.parametrize("numeric", [100, "100"])
def test_code_may_be_a_number(esms_api, numeric):
    esms_api.add(responses.POST, URL, json={"CodeResult": numeric, "SMSID": "x"})
    assert EsmsProvider(OPTIONS).send("0912345678", "hi", reference="r").accepted


@pytest.mark.parametrize(
    ("reply", "ambiguous", "code"),
    [
        ({"status": 503, "body": "down"}, True, "HTTP 503"),
        ({"status": 200, "body": "<html>maintenance</html>"}, True, ""),
        ({"status": 200, "json": {"Message": "no code"}}, True, ""),
        ({"status": 429, "json": {}}, False, "HTTP 429"),
        ({"body": requests.ReadTimeout("read timed out")}, True, ""),
        ({"body": requests.ConnectTimeout("connect timed out")}, False, ""),
    ],
)
def test_transport_failures_are_retryable(esms_api, reply, ambiguous, code):
    esms_api.add(responses.POST, URL, **reply)
    result = EsmsProvider(OPTIONS).send("0912345678", "hi", reference="r")
    assert (result.accepted, result.error_kind, result.ambiguous, result.error_code) == (
        False,
        SmsErrorKind.RETRYABLE,
        ambiguous,
        code,
    )


def test_base_url_option_and_secrets_stay_out_of_the_result(esms_api):
    esms_api.add(
        responses.POST,
        "http://127.0.0.1:9/MainService.svc/json/SendMultipleMessage_V4_post_json/",
        json=fixture("esms_authorize_failed.json"),
    )
    result = EsmsProvider({**OPTIONS, "base_url": "http://127.0.0.1:9/"}).send(
        "0912345678", "hi", reference="r"
    )
    assert "SECRET" not in str(result) and "API-KEY" not in repr(result)


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({}, '["api_key"] is required'),
        ({"api_key": "k"}, '["secret_key"] is required'),
        ({"api_key": "k", "secret_key": "s"}, '["brandname"] is required'),
        ({"api_key": "k", "secret_key": "s", "sms_type": "1"}, 'must be "2"'),
    ],
)
def test_option_problems(options, problem):
    assert any(problem in p for p in EsmsProvider.option_problems(options))


def test_segment_count_decides_is_unicode():
    provider = EsmsProvider(OPTIONS)
    body = provider.payload("84912345678", "€uro", reference="r", count=count_segments("€uro"))
    assert body["IsUnicode"] == "0"  # extension characters are still GSM-7
