"""The client's ZNS Journey calls over HTTP against the sandbox: get-token, check-token,
the journey_token header on a send (never in what the timeline keeps), and the codes."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from zns_notify.sandbox import SandboxServer
from zns_notify.sandbox.catalogue import demo_templates
from zns_notify.zalo.client import JourneyToken, ZaloAPIError, ZaloClient
from zns_notify.zalo.errors import JOURNEY_CODES, ErrorAction, action_for
from zns_notify.zalo.webhooks import from_ms

PHONE, OTHER_PHONE = "84912345678", "84933334444"
SHIPPED, NOT_DECLARED = "100003", "100001"


@pytest.fixture
def zalo():
    server = SandboxServer(receipt_ratio=0.0, seed=7).start()
    client = ZaloClient(api_base_url=server.url, oauth_base_url=server.url)
    yield server, client, server.mint_tokens()["access_token"]
    server.stop()


def send(client, access, token, template_id=SHIPPED):
    return client.send_template(
        access_token=access,
        phone=PHONE,
        template_id=template_id,
        data=demo_templates()[template_id].sample_data(),
        tracking_id="t-1",
        journey_token=token,
    )


def test_get_token_and_check_token(zalo):
    _server, client, access = zalo
    issued = client.journey_token(access_token=access, phone=PHONE, token_type="token_logistics_30")

    assert isinstance(issued, JourneyToken) and issued.token and issued.journey_id.isdigit()
    assert issued.token not in repr(issued)  # a credential: never in logs or tracebacks
    data = client.check_journey_token(access_token=access, journey_token=issued.token)
    assert data["journey_id"] == issued.journey_id and data["tokenType"] == "token_logistics_30"
    lifetime = from_ms(data["expiredAt"]) - from_ms(data["createdAt"])
    assert lifetime == dt.timedelta(days=30)


def test_a_send_under_the_token_carries_it_in_a_header_only(zalo, caplog):
    server, client, access = zalo
    issued = client.journey_token(access_token=access, phone=PHONE, token_type="token_logistics_7")
    caplog.set_level(logging.DEBUG)

    result = send(client, access, issued.token)

    [row] = server.state.messages(None, None)
    assert row["journey_id"] == issued.journey_id and row["tracking_id"] == "t-1"
    assert issued.token not in repr(result.request) + repr(result.answer) + caplog.text


@pytest.mark.parametrize(
    ("case", "code"),
    [("unknown", -148), ("another phone", -149), ("not declared", -1491), ("expired", -150)],
)
def test_zalos_refusals_of_a_journey_token(zalo, case, code):
    server, client, access = zalo
    phone = OTHER_PHONE if case == "another phone" else PHONE
    issued = client.journey_token(access_token=access, phone=phone, token_type="token_logistics_7")
    if case == "expired":
        server.state.expire_journey(issued.journey_id)
    token = "not-a-token" if case == "unknown" else issued.token

    with pytest.raises(ZaloAPIError) as refused:
        send(client, access, token, NOT_DECLARED if case == "not declared" else SHIPPED)

    assert refused.value.code == code and code in JOURNEY_CODES
    assert token not in str(refused.value) + repr(refused.value.request)


def test_check_token_refuses_an_unknown_token(zalo):
    _server, client, access = zalo
    with pytest.raises(ZaloAPIError) as refused:
        client.check_journey_token(access_token=access, journey_token="not-a-token")
    assert refused.value.code == -148


@pytest.mark.parametrize(
    ("phone", "token_type", "code"),
    [("84999000118", "token_logistics_7", -118), (PHONE, "token_teleport_7", -149)],
)
def test_get_token_refusals(zalo, phone, token_type, code):
    _server, client, access = zalo
    with pytest.raises(ZaloAPIError) as refused:
        client.journey_token(access_token=access, phone=phone, token_type=token_type)
    assert refused.value.code == code


def test_get_token_with_a_refused_access_token_asks_for_a_refresh(zalo):
    _server, client, _access = zalo
    with pytest.raises(ZaloAPIError) as refused:
        client.journey_token(access_token="dead", phone=PHONE, token_type="token_logistics_7")
    assert refused.value.action == ErrorAction.REFRESH


def test_the_journey_codes_are_zalos_answers_about_the_token():
    # The worker never records them (zns_notify.journeys.refusals); as a send's plain
    # answer they keep §3's meaning.
    assert JOURNEY_CODES == {-148, -149, -1491, -150}
    assert {action_for(code) for code in JOURNEY_CODES} == {ErrorAction.PAYLOAD}
