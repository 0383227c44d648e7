from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

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
def policy_settings(settings):
    """Policy settings on top of the suite's (the demo turns the recipient cap off)."""

    def configure(**values):
        settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, **values}

    return configure


@pytest.fixture
def skipped():
    with listening(signals.message_skipped, record=lambda signal, kwargs: kwargs) as heard:
        yield heard
