"""The client's hashed-phone variant, appsecret_proof and the shapes of the quota echo."""

from __future__ import annotations

import hashlib
import hmac

import pytest
import responses

from tests.conftest import API, OAUTH
from zns_notify.zalo.client import ZaloClient


@pytest.fixture
def client():
    return ZaloClient(api_base_url=API, oauth_base_url=OAUTH, app_id="app", app_secret="s3cret")


def send(client, **kwargs):
    return client.send_template(
        access_token="tok",
        phone="84912345678",
        template_id="100001",
        data={"a": "b"},
        tracking_id="t1",
        **kwargs,
    )


def ok(data):
    return {"error": 0, "message": "Success", "data": {"msg_id": "m1", "sent_time": "1", **data}}


def test_hashed_phone_goes_to_hashphone_with_the_sha256(client, zalo_api):
    zalo_api.rsps.add(responses.POST, f"{API}/message/template/hashphone", json=ok({}))
    send(client, hashed=True)
    body = zalo_api.last_json("/message/template/hashphone")
    assert body["hash_phone"] == hashlib.sha256(b"84912345678").hexdigest()
    assert "phone" not in body and body["tracking_id"] == "t1"


def test_every_call_carries_the_appsecret_proof(client, zalo_api):
    zalo_api.send_ok()
    send(client)
    headers = zalo_api.calls_to("/message/template")[0].request.headers
    assert headers["appsecret_proof"] == hmac.new(b"s3cret", b"tok", hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"quota": {"dailyQuota": "500", "remainingQuota": "499"}}, (500, 499)),  # §2.2 example
        ({"quota": {"dailyQuota": 500, "remainingQuota": 499}}, (500, 499)),  # numbers
        ({"dailyQuota": "500", "remainingQuota": "0"}, (500, 0)),  # flat in data
        ({"quota": {"daily_quota": 500, "remaining_quota": 3}}, (500, 3)),  # snake_case
        ({}, (None, None)),  # development mode / RSA answers carry no quota
        ({"quota": None}, (None, None)),
    ],
)
def test_quota_echo_variants(client, zalo_api, data, expected):
    zalo_api.rsps.add(responses.POST, f"{API}/message/template", json=ok(data))
    result = send(client)
    assert (result.daily_quota, result.remaining_quota) == expected
