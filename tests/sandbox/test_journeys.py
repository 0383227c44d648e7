"""Journey tokens lapse by the sandbox's clock: 7 or 30 days from issue, and are timed out
once; resets and expiries against sends in flight (no HTTP)."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest

from zns_notify.sandbox import SandboxState
from zns_notify.sandbox.app import SandboxApp
from zns_notify.sandbox.config import SandboxConfig
from zns_notify.sandbox.protocol import Request
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


# -- the time-out event of a token that runs out ---------------------------------------------
def webhook_state(clock):
    """A state with a webhook URL whose posts are collected instead of sent."""
    state = SandboxState(SandboxConfig(webhook_url="http://127.0.0.1:9/hook"), clock=clock)
    posted = []
    state.event_poster = lambda payload, delay=0.0: posted.append(payload) or {}
    return state, posted


def any_request(app):
    request = Request("GET", "/_sandbox/journeys", {}, {}, b"", "http://sandbox")
    assert app.handle(request).status == 200


def test_a_token_that_runs_out_posts_its_time_out_once_when_the_sandbox_notices(clock):
    state, posted = webhook_state(clock)
    app = SandboxApp(state)
    lapsing = state.journeys.issue(PHONE, "token_logistics_7", state.config.oa_id)
    state.journeys.issue(PHONE, "token_logistics_30", state.config.oa_id)

    clock.now += 7 * DAY - 1
    any_request(app)
    assert posted == []

    clock.now += 1
    any_request(app)
    any_request(app)
    assert [(p["event_name"], p["journey_id"]) for p in posted] == [
        ("event_journey_time_out", lapsing.journey_id)
    ]
    assert posted[0]["token_type"] == "token_logistics_7" and posted[0]["phone"] == PHONE
    _, first = state.journeys.expire(lapsing.journey_id)
    assert first is False  # the expire tool does not post it again


def test_a_journey_expired_by_the_tool_is_not_timed_out_again_when_it_lapses(clock):
    state, posted = webhook_state(clock)
    app = SandboxApp(state)
    journey = state.journeys.issue(PHONE, "token_logistics_7", state.config.oa_id)

    state.expire_journey(journey.journey_id)
    clock.now += 8 * DAY
    any_request(app)

    assert [p["event_name"] for p in posted] == ["event_journey_time_out"]


def test_tokens_that_ran_out_unseen_are_each_timed_out_once(clock):
    state, posted = webhook_state(clock)
    app = SandboxApp(state)
    ids = {
        state.journeys.issue(PHONE, token_type, state.config.oa_id).journey_id
        for token_type in ("token_logistics_7", "token_logistics_30", "token_coach_bus_7")
    }

    clock.now += 31 * DAY
    any_request(app)
    any_request(app)

    assert sorted(p["journey_id"] for p in posted) == sorted(ids)


# -- resets, expiries and sends in flight ------------------------------------------------------
def test_a_reset_racing_a_send_under_a_token_never_fails_the_send(clock):
    """The send's token check and its count happen under the state's lock, and so does the
    reset's forgetting of the journeys: the send sees the journey whole or not at all."""
    state = SandboxState(clock=clock)
    journey = state.journeys.issue(PHONE, "token_logistics_7", state.config.oa_id)
    entered, resume = threading.Event(), threading.Event()
    clear_sms, check = state.sms.clear, state.journeys.refusal

    def slow_sms_clear():  # the reset thread is descheduled after its locked part
        entered.set()
        resume.wait(5)
        clear_sms()

    def check_then_let_the_reset_finish(*args, **kwargs):
        found = check(*args, **kwargs)
        resume.set()
        resetting.join(5)
        return found

    state.sms.clear = slow_sms_clear
    state.journeys.refusal = check_then_let_the_reset_finish
    resetting = threading.Thread(target=state.reset)
    resetting.start()
    assert entered.wait(5)
    answer = send(state, journey.token)

    assert answer.error == -148  # the reset came first: the token is gone
    assert state.journeys.snapshot()["count"] == 0


def test_counting_a_send_to_a_forgotten_token_is_a_no_op(clock):
    state = SandboxState(clock=clock)
    assert send(state, None).error == 0
    [message] = state.sent_messages()
    assert state.journeys.record("forgotten", message) is None


def test_an_expiry_waits_for_a_send_in_flight_under_its_token(clock):
    """The expire tool takes the state's lock (then the journeys'), as a send does: a send
    whose token check passed is counted and billed before the journey ends, and the tool's
    answer shows it."""
    state, posted = webhook_state(clock)
    journey = state.journeys.issue(PHONE, "token_logistics_7", state.config.oa_id)
    check = state.journeys.refusal
    answers = []

    def expire():
        ended, _record = state.expire_journey(journey.journey_id)
        answers.append(ended.as_dict(state.now_ms()))

    expiring = threading.Thread(target=expire)

    def check_then_expire(*args, **kwargs):
        found = check(*args, **kwargs)
        expiring.start()
        expiring.join(0.2)  # gives the expiry every chance to get in first
        return found

    state.journeys.refusal = check_then_expire
    assert send(state, journey.token).error == 0
    expiring.join(5)

    [row] = answers
    assert (row["messages"], row["billed"], row["expired"]) == (1, True, True)
    assert sorted(p["event_name"] for p in posted) == [
        "event_journey_acknowledged",
        "event_journey_time_out",
    ]
