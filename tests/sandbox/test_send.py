"""POST /message/template and /hashphone: every validation step, in Zalo's order."""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata

import pytest

from .conftest import ADMIN_PHONE, PHONE, sample


def test_success_has_zalo_shape_and_decrements_quota(zalo):
    reply = zalo.send(tracking_id="order-1")

    assert reply["error"] == 0 and reply["message"] == "Success"
    data = reply["data"]
    assert re.fullmatch(r"[0-9a-f]{20}", data["msg_id"])
    assert isinstance(data["sent_time"], str) and data["sent_time"].isdigit()
    assert data["sending_mode"] == "1"
    assert data["quota"] == {"dailyQuota": "20000", "remainingQuota": "19999"}
    assert zalo.send()["data"]["quota"]["remainingQuota"] == "19998"


def test_accepted_message_is_recorded(zalo):
    msg_id = zalo.send(tracking_id="order-1", phone="0912345678")["data"]["msg_id"]

    [message] = zalo.inspect("messages")["messages"]
    assert message["msg_id"] == msg_id
    assert message["phone"] == PHONE
    assert message["template_id"] == "100001"
    assert message["template_data"] == sample()
    assert message["tracking_id"] == "order-1"
    assert message["mode"] == "production"


@pytest.mark.parametrize("phone", ["84912345678", "+84912345678", "0912345678", "912345678"])
def test_accepted_phone_forms_normalize_to_84(zalo, phone):
    assert zalo.send(phone=phone)["error"] == 0
    assert zalo.inspect("messages")["messages"][0]["phone"] == PHONE


@pytest.mark.parametrize(
    "phone",
    [
        "",
        "12345",
        "0212345678",
        "84 912 345 678",
        "0912-345-678",
        "849123456789",
        "+1912345678",
        84912345678,
        None,
    ],
)
def test_invalid_phone_is_108(zalo, phone):
    assert zalo.send(phone=phone) == {
        "error": -108,
        "message": "Phone number invalid",
        "data": None,
    }


def test_missing_phone_is_108(zalo):
    assert zalo.send(phone=...)["error"] == -108


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_bad_access_token_is_124(zalo, token):
    assert zalo.send(token=token) == {
        "error": -124,
        "message": "Access token invalid",
        "data": None,
    }


def test_missing_access_token_header_is_124(zalo):
    response = zalo.http.post(zalo.url + "/message/template", json={"phone": PHONE}, timeout=5)
    assert response.status_code == 200
    assert response.json()["error"] == -124


def test_token_is_checked_before_the_body(zalo):
    response = zalo.http.post(
        zalo.url + "/message/template",
        data=b"{not json",
        headers={"access_token": "nope"},
        timeout=5,
    )
    assert response.json()["error"] == -124


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", -121),
        (b"   ", -121),
        (b"{}", -121),
        (b"{not json", -122),
        (b"[1, 2]", -122),
        (b'"text"', -122),
        (b"\xff\xfe", -122),
    ],
)
def test_body_errors(zalo, body, code):
    reply = zalo.post("/message/template", data=body)
    assert reply["error"] == code
    assert reply["data"] is None


def test_phone_is_checked_before_template(zalo):
    assert zalo.send(phone="123", template_id="999999")["error"] == -108


@pytest.mark.parametrize("template_id", ["999999", "", None])
def test_unknown_template_is_109(zalo, template_id):
    assert zalo.send(template_id=template_id) == {
        "error": -109,
        "message": "Invalid template id",
        "data": None,
    }


def test_numeric_template_id_is_accepted(zalo):
    assert zalo.send(template_id=100001)["error"] == 0


def test_template_pending_review_is_131(zalo):
    assert zalo.send(template_id="100008", template_data=sample("100008"))["error"] == -131


@pytest.mark.parametrize("data", [..., None, {}])
def test_empty_template_data_is_111(zalo, data):
    assert zalo.send(template_data=data)["error"] == -111


def test_non_object_template_data_is_112(zalo):
    assert zalo.send(template_data=["customer_name"])["error"] == -112


@pytest.mark.parametrize("value", [..., None, ""])
def test_missing_param_is_1122_and_named(zalo, value):
    data = sample(order_code=value)
    if value is ...:
        del data["order_code"]
    reply = zalo.send(template_data=data)
    assert reply["error"] == -1122
    assert "order_code" in reply["message"]


def test_too_long_param_is_1121_with_zalo_message(zalo):
    reply = zalo.send(template_data=sample(customer_name="x" * 31))
    assert reply == {
        "error": -1121,
        "message": "customer_name data breaks max length",
        "data": None,
    }


def test_max_length_itself_is_fine(zalo):
    assert zalo.send(template_data=sample(customer_name="x" * 30))["error"] == 0


def test_length_is_measured_after_nfc(zalo):
    name = "Nguyễn Thị Hoàng Anh Trường Đạt"[:30]
    decomposed = unicodedata.normalize("NFD", name)
    assert len(decomposed) > 30
    assert zalo.send(template_data=sample(customer_name=decomposed))["error"] == 0
    stored = zalo.inspect("messages")["messages"][0]["template_data"]["customer_name"]
    assert stored == unicodedata.normalize("NFC", name)


def test_missing_param_is_reported_before_another_too_long(zalo):
    data = sample(customer_name="x" * 99)
    del data["total_amount"]
    assert zalo.send(template_data=data)["error"] == -1122


def test_object_param_value_is_1124(zalo):
    assert zalo.send(template_data=sample(order_code={"a": 1}))["error"] == -1124


def test_number_values_are_accepted_as_strings(zalo):
    assert zalo.send(template_data=sample(total_amount=1250000))["error"] == 0
    stored = zalo.inspect("messages")["messages"][0]["template_data"]
    assert stored["total_amount"] == "1250000"


def test_tracking_id_longer_than_48_is_132(zalo):
    assert zalo.send(tracking_id="x" * 48)["error"] == 0
    assert zalo.send(tracking_id="x" * 49)["error"] == -132


def test_sending_mode_other_than_1_is_161(zalo):
    assert zalo.send(sending_mode="1")["error"] == 0
    assert zalo.send(sending_mode="3")["error"] == -161


def test_quota_runs_out_with_144(make_zalo):
    zalo = make_zalo(daily_quota=2)
    assert zalo.send()["data"]["quota"]["remainingQuota"] == "1"
    assert zalo.send()["data"]["quota"]["remainingQuota"] == "0"
    assert zalo.send() == {
        "error": -144,
        "message": "OA exceeded daily ZNS sending limit",
        "data": None,
    }
    assert zalo.inspect("messages")["count"] == 2


def test_quota_is_checked_after_payload_validation(make_zalo):
    zalo = make_zalo(daily_quota=0)
    assert zalo.send(phone="1")["error"] == -108
    assert zalo.send()["error"] == -144


@pytest.mark.parametrize(
    ("phone", "code", "message"),
    [
        ("84999000118", -118, "Zalo account not existed"),
        ("0999000119", -119, "Account can not receive message"),
        ("+84999000114", -114, None),
    ],
)
def test_unreachable_phones(zalo, phone, code, message):
    reply = zalo.send(phone=phone)
    assert reply["error"] == code
    if message:
        assert reply["message"] == message
    assert zalo.inspect("messages")["count"] == 0
    assert zalo.inspect("config")["quota"]["remainingQuota"] == "20000"


def test_unreachable_phones_are_configurable(make_zalo):
    zalo = make_zalo(unreachable_phones={"0912345678": -139})
    assert zalo.send()["error"] == -139
    assert zalo.send(phone="84999000118")["error"] == 0


def test_development_mode_to_admin(zalo):
    reply = zalo.send(phone=ADMIN_PHONE, mode="development")
    assert reply["error"] == 0
    assert set(reply["data"]) == {"msg_id", "sent_time"}
    assert zalo.inspect("messages")["messages"][0]["mode"] == "development"
    assert zalo.get("/message/quota")["data"]["remainingQuota"] == "20000"


def test_development_mode_to_non_admin_is_127(zalo):
    reply = zalo.send(mode="development")
    assert reply == {
        "error": -127,
        "message": "Test template can only be sent to administrators",
        "data": None,
    }


def test_development_mode_ignores_exhausted_quota(make_zalo):
    zalo = make_zalo(daily_quota=0)
    assert zalo.send(phone=ADMIN_PHONE, mode="development")["error"] == 0


def test_admin_phones_are_configurable(make_zalo):
    zalo = make_zalo(admin_phones=["0912345678"])
    assert zalo.send(mode="development")["error"] == 0
    assert zalo.send(phone=ADMIN_PHONE, mode="development")["error"] == -127


def _hash(phone: str) -> str:
    return hashlib.sha256(phone.encode()).hexdigest()


def test_hashphone_send_records_the_hash(zalo):
    reply = zalo.send("/message/template/hashphone", phone=..., hash_phone=_hash(PHONE))
    assert reply["error"] == 0
    assert reply["data"]["quota"]["remainingQuota"] == "19999"
    [message] = zalo.inspect("messages")["messages"]
    assert message["phone"] == _hash(PHONE) and message["hash_phone"] is True


@pytest.mark.parametrize("hash_phone", [PHONE, "abc", "g" * 64, None])
def test_hashphone_invalid_hash_is_108(zalo, hash_phone):
    assert (
        zalo.send("/message/template/hashphone", phone=..., hash_phone=hash_phone)["error"] == -108
    )


def test_hashphone_knows_unreachable_and_admin_hashes(zalo):
    path = "/message/template/hashphone"
    assert zalo.send(path, phone=..., hash_phone=_hash("84999000118"))["error"] == -118
    assert (
        zalo.send(path, phone=..., hash_phone=_hash(ADMIN_PHONE).upper(), mode="development")[
            "error"
        ]
        == 0
    )


def test_tracking_counts_and_duplicates(zalo):
    for tracking_id in ("a", "b", "a", "c", "c", "c"):
        assert zalo.send(tracking_id=tracking_id)["error"] == 0
    zalo.send(phone="84999000118", tracking_id="d")  # refused sends don't count
    tracking = zalo.inspect("tracking")
    assert {key: tracking[key] for key in ("counts", "duplicates")} == {
        "counts": {"a": 2, "b": 1, "c": 3},
        "duplicates": 2,
    }
    assert set(tracking["first_seen"]) == {"a", "b", "c"}
    assert zalo.inspect("messages", tracking_id="c")["count"] == 3


def test_first_seen_is_when_the_first_accepted_send_arrived(zalo):
    """For a latency benchmark: the instant the send reached Zalo (on the wire), before the
    latency knob's delay and whatever the later sends of the same tracking_id."""
    zalo.knob("faults", {"latency_ms": 300})
    before = time.time()
    assert zalo.send(tracking_id="a")["error"] == 0
    answered = time.time()
    zalo.send(tracking_id="a")
    zalo.send(phone="84999000118", tracking_id="refused")

    first_seen = zalo.inspect("tracking")["first_seen"]
    assert set(first_seen) == {"a"}
    # The answer came 300 ms after the arrival: the arrival is not the answer's time.
    assert before <= first_seen["a"] <= answered - 0.3
