"""OAuth v4: minted pairs, single-use rotating refresh tokens, reuse detection, PKCE codes."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest

from zns_notify.sandbox.defaults import DEMO_APP_ID, DEMO_APP_SECRET, DEMO_OA_ID

TOKEN_URL = "/v4/oa/access_token"


def token_request(zalo, *, secret=DEMO_APP_SECRET, **form):
    form.setdefault("app_id", DEMO_APP_ID)
    headers = {} if secret is None else {"secret_key": secret}
    response = zalo.http.post(zalo.url + TOKEN_URL, data=form, headers=headers, timeout=5)
    assert response.status_code == 200  # OAuth errors come back with HTTP 200 too
    return response.json()


def refresh(zalo, refresh_token, **kwargs):
    return token_request(zalo, grant_type="refresh_token", refresh_token=refresh_token, **kwargs)


def test_mint_endpoint_returns_a_working_pair(zalo):
    response = zalo.http.post(zalo.url + "/_sandbox/tokens/mint", timeout=5)
    pair = response.json()
    assert set(pair) == {"access_token", "refresh_token", "expires_in"}
    assert pair["expires_in"] == "90000"
    assert len(pair["access_token"]) > 255  # like Zalo's: don't store them in a CharField(255)
    assert zalo.send(token=pair["access_token"])["error"] == 0


def test_refresh_rotates_the_pair(zalo):
    first = zalo.server.mint_tokens()
    second = refresh(zalo, first["refresh_token"])

    assert set(second) == {"access_token", "refresh_token", "expires_in"}
    assert second["expires_in"] == "90000"
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert zalo.send(token=second["access_token"])["error"] == 0
    third = refresh(zalo, second["refresh_token"])  # the new refresh token works once, too
    assert "access_token" in third


def test_reused_refresh_token_is_refused_and_recorded(zalo):
    pair = zalo.server.mint_tokens()
    refresh(zalo, pair["refresh_token"])

    error = refresh(zalo, pair["refresh_token"])

    assert error["error"] == -14014
    assert error["error_name"] == "invalid_refresh_token"
    assert "already been used" in error["error_description"]
    history = zalo.inspect("tokens")
    assert history["counts"]["reuse_attempts"] == 1
    assert history["counts"]["refreshed"] == 1
    assert history["counts"]["minted"] == 2  # the zalo fixture's pair and this one
    assert [e["event"] for e in history["events"]][-2:] == ["refreshed", "refresh_reuse"]


def test_token_history_never_shows_whole_tokens(zalo):
    pair = zalo.server.mint_tokens()
    new = refresh(zalo, pair["refresh_token"])
    refresh(zalo, pair["refresh_token"])

    text = zalo.http.get(zalo.url + "/_sandbox/tokens", timeout=5).text
    for token in (*pair.values(), new["access_token"], new["refresh_token"], zalo.token):
        if len(token) > 20:
            assert token not in text
            assert token[:20] not in text


def test_unknown_refresh_token_is_not_a_reuse(zalo):
    error = refresh(zalo, "never-issued")
    assert error["error"] == -14014
    counts = zalo.inspect("tokens")["counts"]
    assert counts["reuse_attempts"] == 0 and counts["invalid_refresh_tokens"] == 1


@pytest.mark.parametrize(
    ("kwargs", "code", "name"),
    [
        ({"secret": "wrong"}, -14004, "invalid_secret_key"),
        ({"secret": None}, -14004, "invalid_secret_key"),
        ({"app_id": "42"}, -14002, "invalid_app_id"),
    ],
)
def test_refresh_needs_app_id_and_secret_key(zalo, kwargs, code, name):
    pair = zalo.server.mint_tokens()
    error = refresh(zalo, pair["refresh_token"], **kwargs)
    assert (error["error"], error["error_name"]) == (code, name)
    assert "access_token" in refresh(zalo, pair["refresh_token"])  # the failure didn't burn it


def test_unknown_grant_type(zalo):
    assert token_request(zalo, grant_type="password")["error"] == -14003


def test_access_tokens_expire_after_their_ttl(zalo):
    assert zalo.knob("config", {"access_token_ttl": 0}).status_code == 200
    pair = zalo.http.post(zalo.url + "/_sandbox/tokens/mint", timeout=5).json()
    assert pair["expires_in"] == "0"
    assert zalo.send(token=pair["access_token"])["error"] == -124


def test_short_ttl_from_the_constructor(make_zalo):
    zalo = make_zalo(access_token_ttl=3600)
    assert zalo.server.mint_tokens()["expires_in"] == "3600"


def test_force_expire_then_refresh_recovers(zalo):
    pair = zalo.server.mint_tokens()
    reply = zalo.knob("faults", {"expire_access_tokens": True}).json()
    assert reply["expired_access_tokens"] == 2

    assert zalo.send(token=pair["access_token"])["error"] == -124
    assert zalo.get("/message/quota", token=pair["access_token"])["error"] == -124
    new = refresh(zalo, pair["refresh_token"])
    assert zalo.send(token=new["access_token"])["error"] == 0


def test_old_access_token_stays_valid_after_a_refresh(zalo):
    pair = zalo.server.mint_tokens()
    refresh(zalo, pair["refresh_token"])
    assert zalo.send(token=pair["access_token"])["error"] == 0


# -- authorization code + PKCE --------------------------------------------------------------


def pkce_pair():
    verifier = secrets.token_urlsafe(32)  # 43 characters
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize(zalo, **params):
    params.setdefault("app_id", DEMO_APP_ID)
    response = zalo.http.get(
        zalo.url + "/v4/oa/permission", params=params, allow_redirects=False, timeout=5
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    return location, {k: v[0] for k, v in parse_qs(location.query).items()}


def test_permission_redirects_back_with_code_oa_id_and_state(zalo):
    _, challenge = pkce_pair()
    location, query = authorize(
        zalo,
        redirect_uri="https://shop.example/zns/oauth/callback/?x=1",
        code_challenge=challenge,
        state="s-123",
    )
    assert (location.netloc, location.path) == ("shop.example", "/zns/oauth/callback/")
    assert query["x"] == "1" and query["state"] == "s-123" and query["oa_id"] == DEMO_OA_ID
    assert query["code"]


def test_code_exchange_with_pkce(zalo):
    verifier, challenge = pkce_pair()
    _, query = authorize(zalo, redirect_uri="http://127.0.0.1:8000/cb", code_challenge=challenge)

    pair = token_request(
        zalo, grant_type="authorization_code", code=query["code"], code_verifier=verifier
    )

    assert pair["expires_in"] == "90000"
    assert zalo.send(token=pair["access_token"])["error"] == 0
    assert "access_token" in refresh(zalo, pair["refresh_token"])
    assert zalo.inspect("tokens")["counts"]["authorized"] == 1


def test_code_is_single_use(zalo):
    verifier, challenge = pkce_pair()
    _, query = authorize(zalo, redirect_uri="http://127.0.0.1/cb", code_challenge=challenge)
    form = {"grant_type": "authorization_code", "code": query["code"], "code_verifier": verifier}
    assert "access_token" in token_request(zalo, **form)
    error = token_request(zalo, **form)
    assert (error["error"], error["error_name"]) == (-14005, "invalid_code")


@pytest.mark.parametrize("verifier", ["wrong-verifier", None])
def test_code_needs_the_matching_verifier(zalo, verifier):
    _, challenge = pkce_pair()
    _, query = authorize(zalo, redirect_uri="http://127.0.0.1/cb", code_challenge=challenge)
    form = {"grant_type": "authorization_code", "code": query["code"]}
    if verifier:
        form["code_verifier"] = verifier
    error = token_request(zalo, **form)
    assert (error["error"], error["error_name"]) == (-14005, "invalid_code_verifier")


def test_unknown_code(zalo):
    assert (
        token_request(zalo, grant_type="authorization_code", code="nope", code_verifier="x")[
            "error"
        ]
        == -14005
    )


def test_code_without_challenge_needs_no_verifier(zalo):
    _, query = authorize(zalo, redirect_uri="http://127.0.0.1/cb")
    assert "access_token" in token_request(
        zalo, grant_type="authorization_code", code=query["code"]
    )


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"app_id": "42", "redirect_uri": "http://127.0.0.1/cb"}, -14002),
        ({"redirect_uri": "javascript:alert(1)"}, -14003),
        ({}, -14003),
    ],
)
def test_permission_errors_go_to_an_error_page(zalo, params, code):
    location, query = authorize(zalo, **params)
    assert location.path == "/v4/permission/error" and query["error_code"] == str(code)
    page = zalo.http.get(location.geturl(), timeout=5).json()
    assert page["error"] == code


def test_logs_never_carry_whole_tokens(zalo, caplog):
    caplog.set_level("DEBUG", logger="zns_notify.sandbox")
    pair = zalo.server.mint_tokens()
    new = refresh(zalo, pair["refresh_token"])
    refresh(zalo, pair["refresh_token"])
    zalo.send(token=new["access_token"])
    zalo.knob("faults", {"expire_access_tokens": True})

    assert caplog.records  # something was logged at all
    for token in (*pair.values(), *new.values()):
        if len(token) > 20:
            assert token[:20] not in caplog.text


def test_expire_access_tokens_from_python_then_refresh_recovers(zalo):
    pair = zalo.server.mint_tokens()
    assert zalo.server.expire_access_tokens() == 2
    assert zalo.send(token=pair["access_token"])["error"] == -124  # zns-api.md §3: expired
    assert zalo.get("/_sandbox/tokens")["counts"]["force_expiries"] == 1
    new = refresh(zalo, pair["refresh_token"])
    assert zalo.send(token=new["access_token"])["error"] == 0
    assert zalo.server.expire_access_tokens() == 1  # only the refreshed token was still live


@pytest.mark.parametrize("value", ["yes", 1, None, {}])
def test_expire_access_tokens_must_be_a_boolean_and_a_refusal_changes_nothing(zalo, value):
    pair = zalo.server.mint_tokens()
    reply = zalo.knob("faults", {"expire_access_tokens": value, "latency_ms": 5})
    assert reply.status_code == 400 and "expire_access_tokens" in reply.text
    assert zalo.get("/_sandbox/faults")["latency_ms"] == 0
    assert zalo.send(token=pair["access_token"])["error"] == 0


def test_getoa_names_the_oa_behind_a_token(zalo):
    """GET /v2.0/oa/getoa (Zalo's OA API, header access_token): the OA the token belongs to."""
    answer = zalo.http.get(
        zalo.url + "/v2.0/oa/getoa", headers={"access_token": zalo.token}, timeout=5
    ).json()
    assert answer["error"] == 0 and answer["message"] == "Success"
    assert answer["data"]["oa_id"] == DEMO_OA_ID and answer["data"]["name"]


def test_getoa_refuses_a_bad_token_as_zalo_does(zalo):
    answer = zalo.http.get(
        zalo.url + "/v2.0/oa/getoa", headers={"access_token": "nope"}, timeout=5
    ).json()
    assert answer["error"] == -124 and answer["data"] is None
