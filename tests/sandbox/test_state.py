"""The state and its rules driven directly, with a fake clock (no HTTP)."""

from __future__ import annotations

from datetime import datetime

import pytest

from zns_notify.sandbox import SandboxConfig, SandboxState
from zns_notify.sandbox.faults import FaultInjector
from zns_notify.sandbox.state import VN_TZ
from zns_notify.sandbox.tokens import OAuthError, pkce_challenge
from zns_notify.sandbox.validation import normalize_phone

from .conftest import sample


class Clock:
    def __init__(self, when: datetime) -> None:
        self.now = when.timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2025, 3, 1, 23, 59, tzinfo=VN_TZ))


def body(**overrides):
    return {"phone": "84912345678", "template_id": "100001", "template_data": sample(), **overrides}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("84912345678", "84912345678"),
        ("+84912345678", "84912345678"),
        ("0912345678", "84912345678"),
        ("912345678", "84912345678"),
        ("0312345678", "84312345678"),
        ("0212345678", None),
        ("091234567", None),
        ("+0912345678", None),
        ("84 912345678", None),
        ("", None),
        (None, None),
        (912345678, None),
    ],
)
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


def test_quota_restores_at_vietnam_midnight(clock):
    state = SandboxState(SandboxConfig(daily_quota=1), clock=clock)
    assert state.send(body()).error == 0
    assert state.send(body()).error == -144
    clock.now += 120  # 00:01 the next day in Asia/Ho_Chi_Minh
    reply = state.send(body())
    assert reply.error == 0 and reply.data["quota"]["remainingQuota"] == "0"


def test_delivery_follows_the_receipt_delay(clock):
    state = SandboxState(SandboxConfig(receipt_delay=2.0), clock=clock)
    msg_id = state.send(body()).data["msg_id"]
    assert state.status(msg_id).data["status"] == 0
    clock.now += 2
    assert state.status(msg_id).data["status"] == 1


def test_access_token_expires_after_ttl(clock):
    state = SandboxState(access_token_ttl=100, clock=clock)
    pair = state.tokens.mint()
    clock.now += 99
    assert state.tokens.is_valid(pair["access_token"])
    clock.now += 1
    assert not state.tokens.is_valid(pair["access_token"])


def grant(state, **form):
    form.setdefault("app_id", state.config.app_id)
    return state.tokens.grant(form, state.config.app_secret)


def test_refresh_token_expires_after_three_months(clock):
    state = SandboxState(clock=clock)
    pair = state.tokens.mint()
    clock.now += 90 * 24 * 3600
    with pytest.raises(OAuthError) as err:
        grant(state, grant_type="refresh_token", refresh_token=pair["refresh_token"])
    assert err.value.code == -14014 and "expired" in err.value.description
    assert state.tokens.history()["counts"]["expired_refresh_tokens"] == 1


def test_authorization_code_lives_ten_minutes(clock):
    state = SandboxState(clock=clock)
    verifier = "v" * 43
    code = state.tokens.issue_code(pkce_challenge(verifier))
    clock.now += 600
    with pytest.raises(OAuthError) as err:
        grant(state, grant_type="authorization_code", code=code, code_verifier=verifier)
    assert "expired" in err.value.description


def test_pkce_challenge_is_unpadded_base64url_sha256():
    challenge = pkce_challenge("v" * 43)
    assert len(challenge) == 43 and "=" not in challenge
    assert set(challenge) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_listener_sees_each_accepted_message(clock):
    state = SandboxState(clock=clock)
    seen = []
    state.add_listener(seen.append)
    state.send(body())
    state.send(body(phone="1"))
    assert [m.template_id for m in seen] == ["100001"]


def test_first_seen_keeps_the_arrival_of_the_first_accepted_send(clock):
    state = SandboxState(clock=clock)
    arrived = clock.now - 0.25  # the server read the request before a latency fault
    state.send(body(tracking_id="a"), arrived=arrived)
    clock.now += 5
    state.send(body(tracking_id="a"))
    state.send(body(tracking_id="b"))  # without an arrival time: the state's clock
    state.send(body(phone="1", tracking_id="c"))  # refused: not seen as a send

    assert state.tracking()["first_seen"] == {"a": arrived, "b": clock.now}
    state.reset()
    assert state.tracking()["first_seen"] == {}


def test_transport_decisions_follow_the_seed():
    def draws(seed):
        faults = FaultInjector(seed=seed)
        faults.update({"reset_rate": 0.2, "http_500_rate": 0.3, "timeout_rate": 0.1})
        return [faults.transport("/message/template").action for _ in range(50)]

    first = draws(5)
    assert first == draws(5)
    assert {"reset", "http_500", "timeout", None} == set(first)


def test_config_normalizes_phones():
    config = SandboxConfig(admin_phones=("0987654321",), unreachable_phones={"+84912345678": -118})
    assert config.admin_phones == ("84987654321",)
    assert config.unreachable_phones == {"84912345678": -118}
    with pytest.raises(ValueError):
        SandboxConfig(receipt_ratio=1.5)
