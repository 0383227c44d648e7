"""Journey tokens lapse by the sandbox's clock: 7 or 30 days from issue (no HTTP)."""

from __future__ import annotations

from datetime import datetime

import pytest

from zns_notify.sandbox import SandboxState
from zns_notify.sandbox.state import VN_TZ

from .conftest import PHONE, sample
from .test_state import Clock

DAY = 24 * 3600


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2025, 3, 1, 9, 0, tzinfo=VN_TZ))


def send(state, token):
    body = {"phone": PHONE, "template_id": "100003", "template_data": sample("100003")}
    return state.send(body, journey_token=token)


@pytest.mark.parametrize(
    ("token_type", "days"), [("token_logistics_7", 7), ("token_logistics_30", 30)]
)
def test_a_token_lives_its_days_from_issue(clock, token_type, days):
    state = SandboxState(clock=clock)
    journey = state.journeys.issue(PHONE, token_type, state.config.oa_id)

    clock.now += days * DAY - 0.001
    assert send(state, journey.token).error == 0
    assert state.journeys.check(journey.token).error == 0

    clock.now += 0.001
    assert send(state, journey.token).error == -150
    assert state.journeys.check(journey.token).error == -150
    assert state.journeys.snapshot()["journeys"][0]["expired"] is True


def test_expire_ends_a_journey_now_and_only_times_it_out_once(clock):
    state = SandboxState(clock=clock)
    journey = state.journeys.issue(PHONE, "token_logistics_30", state.config.oa_id)

    ended, first = state.journeys.expire(journey.journey_id)
    _, again = state.journeys.expire(journey.journey_id)

    assert first is True and again is False
    assert ended.expires_ms == int(clock.now * 1000)
    assert send(state, journey.token).error == -150
    with pytest.raises(KeyError):
        state.journeys.expire("404")
