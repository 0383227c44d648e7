"""The Zalo client over `responses`: request shapes, envelopes, and every failure mode."""

from __future__ import annotations

import pytest
import requests
import responses

from tests.conftest import API, OAUTH
from zns_notify.zalo.client import ZaloAPIError, ZaloClient
from zns_notify.zalo.errors import ERROR_CODES, ErrorAction, action_for


@pytest.fixture
def client():
    return ZaloClient(api_base_url=API, oauth_base_url=OAUTH, app_id="app-1", app_secret="s3cret")


def send(client, **overrides):
    kwargs = dict(
        access_token="tok",
        phone="84912345678",
        template_id="100001",
        data={"customer_name": "Lan"},
        tracking_id="zns123",
    )
    kwargs.update(overrides)
    return client.send_template(**kwargs)


def test_send_request_shape_and_success_parsing(client, zalo_api):
    zalo_api.send_ok(msg_id="a4d0243feee163bd3af2", remaining=499)
    result = send(client)
    call = zalo_api.calls_to("/message/template")[0]
    assert call.request.headers["access_token"] == "tok"
    assert call.request.headers["Content-Type"] == "application/json"
    assert zalo_api.last_json() == {
        "phone": "84912345678",
        "template_id": "100001",
        "template_data": {"customer_name": "Lan"},
        "tracking_id": "zns123",
    }
    assert result.msg_id == "a4d0243feee163bd3af2"
    assert result.sent_time_ms == 1626926349402
    assert (result.daily_quota, result.remaining_quota) == (500, 499)


def test_development_mode_adds_the_mode_field(client, zalo_api):
    zalo_api.rsps.add(
        responses.POST,
        f"{API}/message/template",
        json={"error": 0, "message": "Success", "data": {"msg_id": "m1", "sent_time": "1"}},
    )
    result = send(client, development=True)
    assert zalo_api.last_json()["mode"] == "development"
    assert result.remaining_quota is None


@pytest.mark.parametrize(
    "code, action",
    [
        (-118, "recipient"),
        (-124, "refresh"),
        (-144, "reschedule"),
        (-131, "config"),
        (-1121, "payload"),
        (-100, "retry"),
        (-99999, "retry"),
        (-216, "refresh"),
        (-220, "refresh"),
    ],
)
def test_error_envelope_becomes_typed_error(client, zalo_api, code, action):
    zalo_api.send_error(code, "customer_name data breaks max length")
    with pytest.raises(ZaloAPIError) as err:
        send(client)
    assert err.value.code == code
    assert err.value.action == action
    assert "customer_name data breaks max length" in str(err.value)
    assert "tok" not in str(err.value)


def test_every_documented_code_has_an_action():
    assert all(isinstance(action_for(code), ErrorAction) for code in ERROR_CODES)
    assert len(ERROR_CODES) > 70


@pytest.mark.parametrize(
    "kwargs, sent",
    [
        ({"status": 502, "body": "Bad gateway"}, True),
        ({"status": 200, "body": "<html>oops</html>"}, True),
        ({"status": 200, "json": ["not", "an", "object"]}, True),
        ({"status": 200, "json": {"message": "no error field"}}, True),
        ({"status": 200, "json": {"error": 0, "data": {}}}, True),  # success without msg_id
        ({"body": requests.ConnectTimeout()}, False),
        ({"body": requests.ReadTimeout()}, True),
    ],
)
def test_transport_failures_are_retryable(client, zalo_api, kwargs, sent):
    zalo_api.rsps.add(responses.POST, f"{API}/message/template", **kwargs)
    with pytest.raises(ZaloAPIError) as err:
        send(client)
    assert err.value.action == ErrorAction.RETRY
    assert err.value.code is None
    assert err.value.sent is sent


def test_connection_refused_is_known_unsent():
    refused = ZaloClient(
        api_base_url="http://127.0.0.1:9", oauth_base_url=OAUTH, timeout=(0.5, 0.5)
    )
    with pytest.raises(ZaloAPIError) as err:
        send(refused)
    assert err.value.sent is False and err.value.action == ErrorAction.RETRY


def test_refresh_token_request(client, zalo_api):
    zalo_api.refresh_ok(access="A2", refresh="R2")
    pair = client.refresh_token("R1")
    request = zalo_api.calls_to("/v4/oa/access_token")[0].request
    assert request.headers["secret_key"] == "s3cret"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.body == "refresh_token=R1&app_id=app-1&grant_type=refresh_token"
    assert (pair.access_token, pair.refresh_token, pair.expires_in) == ("A2", "R2", 90000)
    assert "A2" not in repr(pair)


def test_refused_refresh_is_a_config_error(client, zalo_api):
    zalo_api.rsps.add(
        responses.POST,
        f"{OAUTH}/v4/oa/access_token",
        json={
            "error": -14014,
            "error_name": "invalid_grant",
            "error_description": "Refresh token invalid",
        },
    )
    with pytest.raises(ZaloAPIError) as err:
        client.refresh_token("R1")
    assert err.value.code == -14014
    assert err.value.action == ErrorAction.CONFIG
    assert "Refresh token invalid" in str(err.value)
    assert "R1" not in str(err.value)


def test_template_list_sends_numeric_status(client, zalo_api):
    zalo_api.rsps.add(
        responses.GET,
        f"{API}/template/all",
        json={
            "error": 0,
            "message": "Success",
            "data": [{"templateId": 1}],
            "metadata": {"total": 1},
        },
    )
    page, total = client.list_templates(access_token="tok", status=1)
    assert "status=1" in zalo_api.calls_to("/template/all")[0].request.url
    assert page == [{"templateId": 1}] and total == 1
