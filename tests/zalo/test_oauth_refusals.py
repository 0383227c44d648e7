"""Zalo's OAuth refusals in every documented shape (zns-api.md §4): HTTP 200 with a
negative ``error``, or with only ``error_name`` / ``error_reason`` / ``error_description``
and no numeric code. Each is a refusal (the OA must be reconnected), never a transient
failure to retry forever."""

from __future__ import annotations

import pytest
import responses

from tests.conftest import API, OAUTH
from zns_notify.zalo.client import ZaloAPIError, ZaloClient, ZaloGrantRejected
from zns_notify.zalo.errors import ErrorAction


@pytest.fixture
def client():
    return ZaloClient(api_base_url=API, oauth_base_url=OAUTH, app_id="app-1", app_secret="s3cret")


REFUSALS = {
    "numeric error": {
        "error": -14014,
        "error_name": "invalid_grant",
        "error_description": "Refresh token invalid",
    },
    "numeric error as a string": {"error": "-14003", "error_description": "Refresh token invalid"},
    "error_name only": {"error_name": "Invalid refresh token"},
    "error_reason only": {"error_reason": "Refresh token invalid"},
    "error_description only": {"error_description": "Refresh token has expired"},
    "all three, no code": {
        "error_name": "invalid_grant",
        "error_reason": "Refresh token invalid",
        "error_description": "Refresh token is invalid or expired",
        "ref_doc": "https://developers.zalo.me/docs",
    },
    "a word for a code": {"error": "invalid_grant", "error_description": "Refresh token invalid"},
}


@pytest.mark.parametrize("body", REFUSALS.values(), ids=REFUSALS.keys())
def test_every_documented_refusal_shape_is_a_refused_grant(client, zalo_api, body):
    zalo_api.rsps.add(responses.POST, f"{OAUTH}/v4/oa/access_token", status=200, json=body)
    with pytest.raises(ZaloGrantRejected) as err:
        client.refresh_token("R1")
    assert err.value.action == ErrorAction.CONFIG and err.value.sent
    reason = body.get("error_description") or body.get("error_reason") or body.get("error_name")
    assert reason in str(err.value)
    assert "R1" not in str(err.value)


def test_the_apps_own_credentials_refused_by_code_stay_a_configuration_error(client, zalo_api):
    zalo_api.rsps.add(
        responses.POST,
        f"{OAUTH}/v4/oa/access_token",
        json={"error": -14004, "error_name": "invalid_secret_key"},
    )
    with pytest.raises(ZaloAPIError) as err:
        client.refresh_token("R1")
    assert not isinstance(err.value, ZaloGrantRejected)
    assert err.value.action == ErrorAction.CONFIG


@pytest.mark.parametrize("body", [{}, {"error": 0}, {"message": "busy"}])
def test_an_answer_without_a_token_or_any_refusal_is_transient(client, zalo_api, body):
    zalo_api.rsps.add(responses.POST, f"{OAUTH}/v4/oa/access_token", json=body)
    with pytest.raises(ZaloAPIError) as err:
        client.refresh_token("R1")
    assert not isinstance(err.value, ZaloGrantRejected)
    assert err.value.action == ErrorAction.RETRY
