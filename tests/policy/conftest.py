from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from tests.signal_capture import listening
from zns_notify import signals
from zns_notify.policy import rules as policy

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def clock(monkeypatch):
    """Set the policy engine's clock (only its own: claims and the rest keep real time)."""

    def set_to(moment: dt.datetime) -> dt.datetime:
        monkeypatch.setattr(policy, "timezone", SimpleNamespace(now=lambda: moment))
        return moment

    return set_to


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
