"""The sandbox's eSMS mode over HTTP: validation codes, records, fault knobs."""

from __future__ import annotations

import pytest

from zns_notify.sandbox import defaults
from zns_notify.sandbox.sms import SEND_PATH

PHONE = "0912345678"


def body(**overrides):
    payload = {
        "ApiKey": defaults.DEMO_ESMS_API_KEY,
        "SecretKey": defaults.DEMO_ESMS_SECRET_KEY,
        "Phone": PHONE,
        "Content": "Don hang DH1 da giao",
        "SmsType": "2",
        "Brandname": "DemoShop",
        "IsUnicode": "0",
        "Sandbox": "0",
        "RequestId": "r-1",
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


@pytest.fixture
def esms(sandbox, http):
    def post(payload=None, **kwargs):
        kwargs.setdefault("json", payload if payload is not None else body())
        return http.post(sandbox.url + SEND_PATH + "/", timeout=5, **kwargs)

    return post


def test_accepted_send_is_recorded(esms, zalo):
    answer = esms().json()
    assert answer["CodeResult"] == "100" and answer["CountRegenerate"] == 0
    assert len(answer["SMSID"]) == 31
    listing = zalo.inspect("sms", phone="84912345678")
    assert listing["count"] == 1
    assert listing["sms"][0] | {"received_time": 0} == {
        "sms_id": answer["SMSID"],
        "phone": "84912345678",
        "content": "Don hang DH1 da giao",
        "sms_type": "2",
        "brandname": "DemoShop",
        "is_unicode": False,
        "sandbox": False,
        "request_id": "r-1",
        "campaign": "",
        "callback_url": "",
        "received_time": 0,
    }


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"ApiKey": "wrong"}, "101"),
        ({"SecretKey": ...}, "101"),
        ({"SmsType": ...}, "300"),
        ({"SmsType": "1"}, "118"),
        ({"Brandname": "Unknown"}, "104"),
        ({"Brandname": ...}, "104"),
        ({"Phone": "12345"}, "108"),
        ({"Phone": "0999000099"}, "99"),
        ({"Content": "  "}, "110"),
    ],
)
def test_refusals_follow_esms_codes(esms, zalo, overrides, code):
    response = esms(body(**overrides))
    assert response.status_code == 200
    assert response.json()["CodeResult"] == code and response.json()["ErrorMessage"]
    assert zalo.inspect("sms")["count"] == 0  # nothing recorded


def test_fixed_number_needs_no_brandname(esms):
    assert esms(body(SmsType="8", Brandname=...)).json()["CodeResult"] == "100"


def test_repeated_request_id_is_a_duplicate(esms, zalo):
    first = esms().json()
    again = esms().json()
    assert (again["CodeResult"], again["SMSID"]) == ("124", first["SMSID"])
    assert zalo.inspect("sms")["count"] == 1


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]"])
def test_unreadable_body_is_a_400(esms, raw):
    response = esms(data=raw, json=None, headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_provider_down_knob(esms, zalo):
    assert zalo.knob("faults", {"sms_down": True}).status_code == 200
    assert esms().status_code == 503
    assert zalo.inspect("sms")["count"] == 0
    zalo.knob("faults", {"sms_down": False})
    assert esms().json()["CodeResult"] == "100"


def test_forced_error_code_knob(esms, zalo):
    zalo.knob("faults", {"sms_error_code": "103"})
    assert esms().json() == {
        "CodeResult": "103",
        "CountRegenerate": 0,
        "ErrorMessage": "Not enough balance to send message",
    }
    assert zalo.inspect("sms")["count"] == 0


def test_forced_error_rate_is_seeded(esms, zalo):
    zalo.knob("faults", {"sms_error_code": 103, "sms_error_rate": 0.5, "seed": 3})
    codes = [esms(body(RequestId=f"r-{i}")).json()["CodeResult"] for i in range(40)]
    assert 5 < codes.count("103") < 35 and set(codes) == {"100", "103"}


@pytest.mark.parametrize(
    ("knob", "message"),
    [
        ({"sms_down": "yes"}, "sms_down must be true or false"),
        ({"sms_error_code": "100"}, "sms_error_code must be an eSMS error code"),
        ({"sms_error_code": "42"}, "sms_error_code must be an eSMS error code"),
        ({"sms_error_rate": 2}, "sms_error_rate must be a number between 0 and 1"),
    ],
)
def test_bad_knobs_change_nothing(zalo, knob, message):
    response = zalo.knob("faults", knob)
    assert response.status_code == 400 and message in response.json()["message"]
    faults = zalo.inspect("faults")
    assert (faults["sms_down"], faults["sms_error_code"], faults["sms_error_rate"]) == (
        False,
        None,
        1.0,
    )


def test_config_knobs(esms, zalo):
    assert (
        zalo.knob(
            "config", {"esms_brandnames": ["OtherShop"], "sms_blocked_phones": [PHONE]}
        ).status_code
        == 200
    )
    assert esms(body(Phone="0912345679")).json()["CodeResult"] == "104"
    assert esms(body(Brandname="OtherShop")).json()["CodeResult"] == "99"
    config = zalo.inspect("config")
    assert config["sms_blocked_phones"] == ["84912345678"]
    assert "esms_secret_key" not in config
    assert zalo.knob("config", {"esms_brandnames": ["TooLongBrandName"]}).status_code == 400


def test_phone_page_shows_sms_next_to_zns(esms, zalo):
    zalo.send(phone="84912345678")
    esms(body(Content="Đơn hàng <DH1> đã giao", IsUnicode="1", Sandbox="1"))
    page = zalo.http.get(f"{zalo.url}/_sandbox/phone", params={"phone": PHONE}, timeout=5).text
    assert "Đơn hàng &lt;DH1&gt; đã giao" in page  # escaped
    assert "có dấu (Unicode)" in page and "eSMS Sandbox" in page and "DemoShop" in page
    assert page.index('class="card"') < page.index('class="sms"')  # arrival order
    index = zalo.http.get(f"{zalo.url}/_sandbox/phone", timeout=5).text
    assert "84912345678" in index and "2 tin" in index


def test_sms_only_phone_is_listed(esms, zalo):
    esms(body(Phone="0987000111"))
    index = zalo.http.get(f"{zalo.url}/_sandbox/phone", timeout=5).text
    assert "84987000111" in index


def test_reset_forgets_sms(esms, zalo):
    esms()
    zalo.knob("reset", {})
    assert zalo.inspect("sms")["count"] == 0
    assert esms().json()["CodeResult"] == "100"  # the RequestId is forgotten too


def test_sms_listing_rejects_a_bad_phone(zalo):
    response = zalo.http.get(f"{zalo.url}/_sandbox/sms", params={"phone": "abc"}, timeout=5)
    assert response.status_code == 400
