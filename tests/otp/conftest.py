from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import time_machine

from zns_notify.otp import sending

#: A fixed moment: no test depends on today's date or hour.
START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
PHONE = "0912 345 678"
NORMALIZED = "84912345678"


@pytest.fixture
def clock():
    """The whole app's clock, stopped at START (time-machine; the app reads it through
    ``zns_notify.lib.clock.now``). ``clock.advance(seconds)`` moves it on."""

    class Clock:
        def __init__(self):
            self.now = START
            self._traveller = time_machine.travel(START, tick=False)
            self._shift = self._traveller.start()

        def advance(self, seconds: float) -> dt.datetime:
            self._shift.shift(dt.timedelta(seconds=seconds))
            self.now += dt.timedelta(seconds=seconds)
            return self.now

    moving = Clock()
    yield moving
    moving._traveller.stop()


@dataclass
class Sent:
    phone: str
    purpose: str
    code: str


@pytest.fixture
def sent(monkeypatch):
    """The codes handed to the sending hook, in order, instead of a message (the rules'
    tests need no template; tests/otp/test_sending.py sends for real)."""
    outbox: list[Sent] = []

    def record(challenge, code):
        outbox.append(Sent(challenge.phone, challenge.purpose, code))

    monkeypatch.setattr(sending, "send_code", record)
    return outbox


@pytest.fixture
def otp_settings(settings):
    def configure(**values):
        settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, **values}

    return configure
