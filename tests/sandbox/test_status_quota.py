"""GET /message/status and GET /message/quota."""

from __future__ import annotations

import time

from .conftest import PHONE


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_status_goes_from_sent_to_delivered(make_zalo):
    zalo = make_zalo(receipt_delay=0.3)
    sent = zalo.send()["data"]
    msg_id = sent["msg_id"]

    pending = zalo.get("/message/status", message_id=msg_id)
    assert pending["error"] == 0 and pending["data"]["status"] == 0
    assert "delivery_time" not in pending["data"]

    assert wait_until(lambda: zalo.get("/message/status", message_id=msg_id)["data"]["status"])
    data = zalo.get("/message/status", message_id=msg_id, phone="0912345678")["data"]
    assert data["status"] == 1
    assert data["message"] == "The message was delivered to the user's phone"
    assert isinstance(data["delivery_time"], str)
    assert int(data["delivery_time"]) - int(sent["sent_time"]) == 300
    message = zalo.inspect("messages")["messages"][0]
    assert message["delivered_time"] == data["delivery_time"]
    assert message["status"] == "delivered"


def test_unknown_message_has_status_minus_1(zalo):
    data = zalo.get("/message/status", message_id="0" * 20)
    assert data["error"] == 0 and data["data"]["status"] == -1


def test_status_for_another_phone_is_minus_1(zalo):
    msg_id = zalo.send()["data"]["msg_id"]
    assert (
        zalo.get("/message/status", message_id=msg_id, phone="84987654321")["data"]["status"] == -1
    )


def test_status_errors(zalo):
    assert zalo.get("/message/status")["error"] == -107
    assert zalo.get("/message/status", message_id="")["error"] == -107
    msg_id = zalo.send()["data"]["msg_id"]
    assert zalo.get("/message/status", message_id=msg_id, phone="12")["error"] == -108


def test_no_receipt_means_status_stays_0(make_zalo):
    zalo = make_zalo(receipt_ratio=0.0, receipt_delay=0.0)
    msg_id = zalo.send()["data"]["msg_id"]
    time.sleep(0.05)
    assert zalo.get("/message/status", message_id=msg_id)["data"]["status"] == 0
    assert zalo.inspect("messages")["messages"][0]["delivered_time"] is None


def test_quota_shape(zalo):
    zalo.send()
    zalo.send(
        template_id="100007",
        template_data={
            "customer_name": "An",
            "voucher_code": "CAMON10",
            "expiry_date": "31/03/2025",
        },
    )
    reply = zalo.get("/message/quota")
    assert reply["error"] == 0 and reply["message"] == "success"
    data = reply["data"]
    assert data["dailyQuota"] == "20000" and data["remainingQuota"] == "19998"
    assert data["dailyQuotaPromotion"] == "5000" and data["remainingQuotaPromotion"] == "4999"
    for key in (
        "monthlyPromotionQuota",
        "remainingMonthlyPromotionQuota",
        "estimatedNextMonthPromotionQuota",
    ):
        assert isinstance(data[key], int)
    assert data["remainingMonthlyPromotionQuota"] == data["monthlyPromotionQuota"] - 1


def test_quota_knobs(zalo):
    zalo.send()
    assert zalo.knob("config", {"remaining_quota": 1}).status_code == 200
    assert zalo.send()["data"]["quota"]["remainingQuota"] == "0"
    assert zalo.send()["error"] == -144
    config = zalo.knob("config", {"daily_quota": 20005}).json()  # raising it adds the difference
    assert config["quota"]["dailyQuota"] == "20005"
    assert config["quota"]["remainingQuota"] == "5"
    assert zalo.send(phone=PHONE)["error"] == 0
