from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import ZaloAccountFactory
from tests.signal_capture import listening
from zns_notify import signals

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def clock():
    """Stop the clock at a moment (time-machine): the whole app reads it, through
    ``timezone.now()``. Call it again to move to another moment."""
    stopped: list[time_machine.travel] = []

    def set_to(moment: dt.datetime) -> dt.datetime:
        if stopped:
            stopped.pop().stop()
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        stopped.append(traveller)
        return moment

    yield set_to
    while stopped:
        stopped.pop().stop()


@pytest.fixture
def account(db):
    """The connected OA, its token pair valid at any moment the ``clock`` stops at: the
    tests move the whole app's clock to fixed dates in 2026, which may lie more than a
    day after the real date the account is created at (a token would have expired)."""
    never = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    return ZaloAccountFactory(access_token_expires_at=never, refresh_token_expires_at=never)


@pytest.fixture
def policy_settings(settings):
    """Policy settings on top of the suite's (the demo turns the recipient cap off)."""

    def configure(**values):
        settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, **values}

    return configure


@pytest.fixture
def skipped():
    with listening(signals.message_skipped, record=lambda signal, kwargs: kwargs) as heard:
        yield heard
