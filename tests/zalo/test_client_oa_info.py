"""Which OA a token belongs to: Zalo's OA API, on its own host."""

from __future__ import annotations

import responses

from zns_notify.zalo.client import ZaloClient, oa_api_base_url


def test_the_oa_api_is_on_zalos_openapi_host_or_on_the_sandbox():
    assert oa_api_base_url("https://business.openapi.zalo.me") == "https://openapi.zalo.me"
    assert oa_api_base_url("http://127.0.0.1:8765") == "http://127.0.0.1:8765"


@responses.activate
def test_oa_info_asks_getoa_with_the_token_in_a_header():
    responses.get(
        "https://openapi.zalo.me/v2.0/oa/getoa",
        json={"error": 0, "message": "Success", "data": {"oa_id": "2718", "name": "Shop"}},
    )
    client = ZaloClient(
        api_base_url="https://business.openapi.zalo.me",
        oauth_base_url="https://oauth.zaloapp.com",
        oa_api_base_url=oa_api_base_url("https://business.openapi.zalo.me"),
    )
    assert client.oa_info(access_token="t") == {"oa_id": "2718", "name": "Shop"}
    assert responses.calls[0].request.headers["access_token"] == "t"
