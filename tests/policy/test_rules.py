"""The policy engine's pure decisions: quiet windows, caps, reserves, Vietnam days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.policy import rules as policy

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NIGHT = ("22:00", "06:00")


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, second, tzinfo=VN)


@pytest.mark.parametrize(
    "local, end",
    [
        (at(22, 21, 59, 59), None),
        (at(22, 22, 0), at(23, 6, 0)),
        (at(22, 23, 59, 59), at(23, 6, 0)),
        (at(23, 0, 0), at(23, 6, 0)),
        (at(23, 5, 59, 59), at(23, 6, 0)),
        (at(23, 6, 0), None),
        (at(23, 12, 0), None),
    ],
)
def test_a_window_across_midnight_ends_at_its_end_on_the_right_day(local, end):
    assert policy.quiet_until(NIGHT, local) == end


@pytest.mark.parametrize(
    "local, end",
    [
        (at(22, 11, 59), None),
        (at(22, 12, 0), at(22, 14, 0)),
        (at(22, 13, 59), at(22, 14, 0)),
        (at(22, 14, 0), None),
    ],
)
def test_a_window_within_one_day(local, end):
    assert policy.quiet_until(("12:00", "14:00"), local) == end


def test_an_empty_window_is_never_quiet():
    assert policy.quiet_until(("06:00", "06:00"), at(22, 6, 0)) is None


@pytest.mark.parametrize("bad", ["22", "25:00", "ten:00", ""])
def test_a_malformed_window_names_the_setting(bad):
    with pytest.raises(ZnsConfigurationError, match="QUIET_HOURS"):
        policy.quiet_until((bad, "06:00"), at(22, 23, 0))


def test_caps_per_tag_with_a_default_for_the_others():
    caps = {"*": 5, "PROMOTION": 1, "TRANSACTION": 0}
    assert policy.cap_for("CUSTOMER_CARE", caps) == 5
    assert policy.cap_for("PROMOTION", caps) == 1
    assert policy.cap_for("TRANSACTION", caps) == 0
    assert policy.cap_for("PROMOTION", {"TRANSACTION": 3}) == 0


def test_reserves_keep_the_rest_of_the_quota_for_higher_tags():
    reserves = {"CUSTOMER_CARE": 20, "PROMOTION": 50}
    assert policy.quota_reserved("PROMOTION", 50, reserves)
    assert not policy.quota_reserved("PROMOTION", 51, reserves)
    assert policy.quota_reserved("CUSTOMER_CARE", 20, reserves)
    assert not policy.quota_reserved("CUSTOMER_CARE", 21, reserves)
    assert not policy.quota_reserved("TRANSACTION", 1, reserves)
    assert not policy.quota_reserved("PROMOTION", None, reserves)  # unknown: do not guess


def test_settings_are_read_live(settings):
    from zns_notify.conf import app_settings

    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "RECIPIENT_DAILY_CAP": 3}
    assert app_settings.RECIPIENT_DAILY_CAP == {"*": 3}
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "RECIPIENT_DAILY_CAP": {"PROMOTION": 1}}
    assert app_settings.RECIPIENT_DAILY_CAP == {
        "TRANSACTION": 0,
        "CUSTOMER_CARE": 5,
        "PROMOTION": 1,
    }
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "RECIPIENT_CAP_ACTION": "later"}
    with pytest.raises(ZnsConfigurationError, match="RECIPIENT_CAP_ACTION"):
        _ = app_settings.RECIPIENT_CAP_ACTION
    settings.ZNS_NOTIFY = {
        k: v
        for k, v in settings.ZNS_NOTIFY.items()
        if k not in ("RECIPIENT_DAILY_CAP", "RECIPIENT_CAP_ACTION")
    }
    assert app_settings.RECIPIENT_DAILY_CAP == {
        "TRANSACTION": 0,
        "CUSTOMER_CARE": 5,
        "PROMOTION": 3,
    }
    assert app_settings.RECIPIENT_CAP_ACTION == "skip"
    assert app_settings.QUIET_HOURS == {"PROMOTION": ("22:00", "06:00")}
    assert app_settings.OPT_OUT_TAGS == ["CUSTOMER_CARE", "PROMOTION"]
