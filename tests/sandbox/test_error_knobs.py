"""Knobs for the errors of zns-api.md §3 that need a setup: quota (-144, -126, -1441), the
night ban (-133), appsecret_proof (-1241), phones Zalo refuses (-118, -119, -108, -114)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

import pytest

from zns_notify.sandbox import SandboxConfig, SandboxState
from zns_notify.sandbox.defaults import DEMO_APP_SECRET
from zns_notify.sandbox.state import VN_TZ

from .conftest import ADMIN_PHONE, PHONE, sample

PROMO = {
    "template_id": "100007",
    "template_data": {"customer_name": "An", "voucher_code": "CAMON10", "expiry_date": "31/03"},
}


def config(zalo, **knobs):
    response = zalo.knob("config", knobs)
    assert response.status_code == 200, response.text
    return response.json()


def test_exhausted_quota_is_144_and_the_quota_endpoint_agrees(zalo):
    config(zalo, remaining_quota=1)
    assert zalo.send()["data"]["quota"] == {"dailyQuota": "20000", "remainingQuota": "0"}
    reply = zalo.send()
    assert reply == {"error": -144, "message": "OA exceeded daily ZNS sending limit", "data": None}
    assert zalo.get("/message/quota")["data"]["remainingQuota"] == "0"
    assert zalo.inspect("messages")["count"] == 1


def test_development_mode_has_its_own_quota_126(zalo):
    config(zalo, dev_daily_quota=1, remaining_quota=0)
    assert zalo.send(phone=ADMIN_PHONE, mode="development")["error"] == 0
    reply = zalo.send(phone=ADMIN_PHONE, mode="development")
    assert (reply["error"], reply["message"]) == (-126, "Out of quota in development mode")


def test_monthly_promotion_quota_1441_and_the_quota_endpoint_agrees(zalo):
    config(zalo, monthly_promotion_quota=1)
    assert zalo.send(**PROMO)["error"] == 0
    assert zalo.send(**PROMO)["error"] == -1441
    assert zalo.send()["error"] == 0  # transaction templates are not promotion quota
    data = zalo.get("/message/quota")["data"]
    assert (data["monthlyPromotionQuota"], data["remainingMonthlyPromotionQuota"]) == (1, 0)


def test_night_window_refuses_promotion_with_133(zalo):
    config(zalo, night_window=[0, 24])  # "night" all day: the test does not depend on the hour
    reply = zalo.send(**PROMO)
    assert reply["error"] == -133
    assert reply["message"] == "Cannot send ZNS at night (22:00-06:00)"
    assert zalo.send()["error"] == 0  # transaction templates are not banned
    assert config(zalo, night_window=None)["night_window"] is None
    assert zalo.send(**PROMO)["error"] == 0


@pytest.mark.parametrize("bad", [[22], [22, 22], [-1, 6], [22, 25], "22-6", [True, 6]])
def test_night_window_knob_is_validated(zalo, bad):
    assert zalo.knob("config", {"night_window": bad}).status_code == 400


@pytest.mark.parametrize(
    ("hour", "banned"), [(21, False), (22, True), (3, True), (5, True), (6, False)]
)
def test_night_window_wraps_midnight_in_vietnam_time(hour, banned):
    when = datetime(2026, 3, 2, hour, 30, tzinfo=VN_TZ)
    state = SandboxState(SandboxConfig(night_window=(22, 6)), clock=when.timestamp)
    reply = state.send({"phone": PHONE, **PROMO})
    assert reply.error == (-133 if banned else 0)


def test_appsecret_proof_when_the_app_requires_it(zalo):
    config(zalo, require_appsecret_proof=True)
    assert zalo.send()["error"] == -1241
    assert zalo.get("/message/quota")["error"] == -1241
    proof = hmac.new(DEMO_APP_SECRET.encode(), zalo.token.encode(), hashlib.sha256).hexdigest()
    response = zalo.http.post(
        zalo.url + "/message/template",
        timeout=5,
        json={"phone": PHONE, "template_id": "100001", "template_data": sample()},
        headers={"access_token": zalo.token, "appsecret_proof": proof},
    )
    assert response.json()["error"] == 0
    assert zalo.knob("config", {"require_appsecret_proof": "yes"}).status_code == 400


def test_token_is_still_checked_before_the_proof(zalo):
    config(zalo, require_appsecret_proof=True)
    assert zalo.send(token="nope")["error"] == -124


@pytest.mark.parametrize(
    ("phone", "code", "message"),
    [
        ("84999000118", -118, "Zalo account not existed"),
        ("0999000119", -119, "Account can not receive message"),
        ("84999000108", -108, "Phone number invalid"),
        ("84999000114", -114, None),
    ],
)
def test_default_refusing_phones(zalo, phone, code, message):
    reply = zalo.send(phone=phone)
    assert reply["error"] == code
    if message:
        assert reply["message"] == message


def test_not_enable_templates_are_131(zalo):
    pending = zalo.send(
        template_id="100008", template_data={"customer_name": "A", "order_code": "B"}
    )
    assert pending["error"] == -131
    disable = {"template_id": "100001", "status": "DISABLE"}
    assert zalo.knob("templates", disable).status_code == 200
    assert zalo.send() == {"error": -131, "message": "ZNS template not approved", "data": None}


def test_param_errors_carry_zalos_messages(zalo):
    too_long = zalo.send(template_data=sample(customer_name="x" * 31))
    assert too_long["error"] == -1121
    assert too_long["message"] == "customer_name data breaks max length"
    data = sample()
    del data["order_code"]
    missing = zalo.send(template_data=data)
    assert missing["error"] == -1122 and "order_code" in missing["message"]


def test_development_mode_reaches_only_admin_phones(zalo):
    assert zalo.send(phone=PHONE, mode="development")["error"] == -127
    config(zalo, admin_phones=[ADMIN_PHONE, PHONE])
    reply = zalo.send(phone=PHONE, mode="development")
    assert reply["error"] == 0 and set(reply["data"]) == {"msg_id", "sent_time"}
    assert zalo.inspect("messages", phone=PHONE)["messages"][0]["mode"] == "development"


def test_dev_quota_rolls_over_at_midnight():
    now = [datetime(2026, 3, 2, 23, 59, tzinfo=VN_TZ).timestamp()]
    state = SandboxState(SandboxConfig(dev_daily_quota=1), clock=lambda: now[0])
    dev = {
        "phone": "84987654321",
        "template_id": "100001",
        "template_data": sample(),
        "mode": "development",
    }
    assert state.send(dev).error == 0 and state.send(dev).error == -126
    now[0] += timedelta(minutes=2).total_seconds()
    assert state.send(dev).error == 0
