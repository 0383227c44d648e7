"""The OA's sending quality read from Zalo (the real client over HTTP against the sandbox),
Zalo's tier ladders, and when the quality warns of a tier drop."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
import requests
import responses

from tests.conftest import API
from zns_notify.account import quality
from zns_notify.account.quality import LADDER_2024, LADDER_ZBS, ladder_on, tier_of, warning_reason
from zns_notify.account.tokens import store_token_pair
from zns_notify.models import ZaloQuality, ZaloQuota
from zns_notify.sandbox import SandboxServer
from zns_notify.zalo.client import QUALITY_LEVELS, ZaloAPIError, ZaloClient, quality_level

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=VN)


@pytest.fixture
def sandbox(settings):
    zns = settings.ZNS_NOTIFY
    server = SandboxServer(
        app_id=zns["APP_ID"],
        app_secret=zns["APP_SECRET"],
        oa_secret_key=zns["OA_SECRET_KEY"],
        seed=7,
    ).start()
    settings.ZNS_NOTIFY = {**zns, "API_BASE_URL": server.url, "OAUTH_BASE_URL": server.url}
    yield server
    server.stop()


@pytest.fixture
def connected(db, sandbox, time_machine):
    time_machine.move_to(NOW, tick=False)
    pair = sandbox.mint_tokens()
    return store_token_pair(
        access_token=pair["access_token"],
        refresh_token=pair["refresh_token"],
        expires_in=int(pair["expires_in"]),
    )


def set_quality(sandbox, **knobs) -> None:
    with requests.Session() as http:
        http.trust_env = False
        answer = http.post(f"{sandbox.url}/_sandbox/config", json=knobs, timeout=5)
    assert answer.status_code == 200, answer.text


def stored(account) -> tuple[str, str, dt.datetime]:
    row = ZaloQuality.objects.get(account=account)
    return row.current, row.seven_day, row.read_at


# -- reading it from the sandbox over HTTP -------------------------------------------------


def test_refresh_stores_both_figures_and_when_they_were_read(connected):
    assert quality.refresh_quality() == "HIGH"
    assert stored(connected) == ("HIGH", "HIGH", NOW)


def test_a_new_reading_replaces_the_last_one(connected, sandbox, time_machine):
    quality.refresh_quality()
    set_quality(sandbox, oa_current_quality="LOW", oa_7day_quality="MEDIUM")
    time_machine.shift(dt.timedelta(hours=1))
    assert quality.refresh_quality() == "LOW"
    assert stored(connected) == ("LOW", "MEDIUM", NOW + dt.timedelta(hours=1))
    assert ZaloQuality.objects.count() == 1


def test_undefined_is_stored_as_zalo_said_it(connected, sandbox):
    set_quality(sandbox, oa_current_quality="UNDEFINED", oa_7day_quality="UNDEFINED")
    assert quality.refresh_quality() == "UNDEFINED"
    assert stored(connected)[:2] == ("UNDEFINED", "UNDEFINED")


def test_a_figure_zalo_left_out_is_stored_empty_not_as_a_level(connected, sandbox):
    set_quality(sandbox, oa_current_quality="MEDIUM", oa_7day_quality=None)
    assert quality.refresh_quality() == "MEDIUM"
    assert stored(connected)[:2] == ("MEDIUM", "")
    set_quality(sandbox, oa_current_quality=None)
    assert quality.refresh_quality() == ""
    assert stored(connected)[:2] == ("", "")


def test_a_refused_token_keeps_the_last_reading(connected, sandbox, time_machine):
    quality.refresh_quality()
    sandbox.expire_access_tokens()  # Zalo answers -124
    set_quality(sandbox, oa_current_quality="LOW")
    time_machine.shift(dt.timedelta(hours=1))
    assert quality.refresh_quality() is None
    assert stored(connected) == ("HIGH", "HIGH", NOW)


def test_zalo_failing_keeps_the_last_reading(connected, sandbox):
    quality.refresh_quality()
    with requests.Session() as http:
        http.trust_env = False
        http.post(
            f"{sandbox.url}/_sandbox/faults",
            json={"http_500_rate": 1.0, "paths": ["/quality"]},
            timeout=5,
        )
    set_quality(sandbox, oa_current_quality="LOW")
    assert quality.refresh_quality() is None
    assert stored(connected)[:2] == ("HIGH", "HIGH")


def test_no_connected_account_reads_nothing(db, sandbox):
    assert quality.refresh_quality() is None
    assert not ZaloQuality.objects.exists()


def test_the_client_raises_zalo_s_code_for_a_bad_token(sandbox):
    client = ZaloClient(api_base_url=sandbox.url, oauth_base_url=sandbox.url)
    with pytest.raises(ZaloAPIError) as refused:
        client.quality(access_token="not-a-token")
    assert refused.value.code == -124


def test_the_quality_schedule_is_created_after_migrate(db):
    from django_q.models import Schedule

    from zns_notify.tasks import ensure_schedules

    ensure_schedules()
    schedule = Schedule.objects.get(name="zns_notify.refresh_quality")
    assert (schedule.func, schedule.minutes, schedule.repeats) == (
        "zns_notify.tasks.refresh_quality",
        60,
        -1,
    )


# -- every shape of Zalo's answer ----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"oaCurrentQuality": "HIGH", "oa7dayQuality": "LOW"}, ("HIGH", "LOW")),
        ({"oaCurrentQuality": " medium ", "oa7dayQuality": "Undefined"}, ("MEDIUM", "UNDEFINED")),
        ({"oa_current_quality": "LOW", "oa_7day_quality": "HIGH"}, ("LOW", "HIGH")),
        ({"oaCurrentQuality": 2, "oa7dayQuality": 1.0}, ("", "")),  # numbers: no level said
        ({"oaCurrentQuality": "2", "oa7dayQuality": True}, ("", "")),
        ({"oaCurrentQuality": None, "oa7dayQuality": ""}, ("", "")),
        ({"oaCurrentQuality": "VERY_HIGH", "oa7dayQuality": ["HIGH"]}, ("", "")),
        ({"oaCurrentQuality": "LOW"}, ("LOW", "")),
        ({}, ("", "")),
        (None, ("", "")),
        (["HIGH", "HIGH"], ("", "")),
    ],
)
def test_the_client_reads_every_shape_of_the_answer(data, expected):
    client = ZaloClient(api_base_url=API, oauth_base_url=API)
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, f"{API}/quality", json={"error": 0, "message": "", "data": data})
        answer = client.quality(access_token="token")
    assert (answer["current"], answer["seven_day"]) == expected


def test_an_answer_without_data_key_reads_as_no_levels():
    client = ZaloClient(api_base_url=API, oauth_base_url=API)
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, f"{API}/quality", json={"error": "0", "message": "Success"})
        assert client.quality(access_token="token") == {"current": "", "seven_day": ""}


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("HIGH", "HIGH"),
        ("low", "LOW"),
        ("\tMedium\n", "MEDIUM"),
        ("UNDEFINED", "UNDEFINED"),
        ("", ""),
        ("HIGHEST", ""),
        (None, ""),
        (3, ""),
        (0, ""),
        (-1, ""),
        ({"level": "HIGH"}, ""),
    ],
)
def test_quality_level(value, level):
    assert quality_level(value) == level


def test_the_model_stores_exactly_zalo_s_levels():
    assert tuple(ZaloQuality.Level.values) == QUALITY_LEVELS


# -- the ladders ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "ladder"),
    [
        (dt.date(2025, 6, 1), LADDER_2024),
        (dt.date(2026, 1, 15), LADDER_2024),
        (dt.date(2026, 1, 16), LADDER_ZBS),
        (dt.date(2027, 3, 1), LADDER_ZBS),
        (dt.date(2023, 1, 1), LADDER_2024),  # before any ladder we know: the oldest
    ],
)
def test_the_ladder_in_force(day, ladder):
    assert ladder_on(day) is ladder


@pytest.mark.parametrize(
    ("daily", "on_ladder", "after_drop"),
    [
        (None, True, 50_000),  # unlimited: the top step
        (50_000, True, 20_000),
        (20_000, True, 10_000),
        (10_000, True, 1_000),  # a drop to the penalty tier: a tenth
        (1_000, True, None),  # the penalty tier: nothing lower
        (5_000, False, 1_000),  # the 2024 ladder's figure: between two steps
        (500, False, None),  # below the lowest step
        (0, False, None),
    ],
)
def test_the_zbs_ladder(daily, on_ladder, after_drop):
    tier = tier_of(daily, LADDER_ZBS)
    assert (tier.daily, tier.on_ladder, tier.after_drop) == (daily, on_ladder, after_drop)


@pytest.mark.parametrize(
    ("daily", "on_ladder", "after_drop"),
    [
        (500_000, True, 100_000),
        (100_000, True, 50_000),
        (5_000, True, 2_000),
        (2_000, True, 500),
        (500, True, None),
        (None, False, 500_000),  # no "unlimited" step on this ladder
        (1_000, False, 500),
    ],
)
def test_the_2024_ladder(daily, on_ladder, after_drop):
    tier = tier_of(daily, LADDER_2024)
    assert (tier.on_ladder, tier.after_drop) == (on_ladder, after_drop)


def test_every_step_down_halves_the_quota_or_more():
    for ladder in (LADDER_ZBS, LADDER_2024):
        numbers = [step for step in ladder.steps if step is not None]
        for lower, higher in zip(numbers, numbers[1:], strict=False):
            assert lower * 2 <= higher


# -- the warning ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "seven_day", "reason"),
    [
        ("LOW", "LOW", "low"),
        ("LOW", "HIGH", "low"),
        ("LOW", "", "low"),
        ("MEDIUM", "HIGH", "falling"),
        ("MEDIUM", "MEDIUM", "medium"),
        ("MEDIUM", "LOW", "medium"),
        ("MEDIUM", "UNDEFINED", "medium"),
        ("MEDIUM", "", "medium"),
        ("HIGH", "HIGH", ""),
        ("HIGH", "LOW", ""),  # recovering
        ("HIGH", "", ""),
        # Too few messages to judge the last 48 hours (an OA that stopped sending after
        # complaints): the week's LOW still warns.
        ("UNDEFINED", "LOW", "week_low"),
        ("", "LOW", "week_low"),  # Zalo gave no figure for the last 48 hours
        ("UNDEFINED", "MEDIUM", ""),
        ("UNDEFINED", "HIGH", ""),
        ("", "", ""),
    ],
)
def test_when_the_quality_warns(current, seven_day, reason):
    assert warning_reason(current, seven_day) == reason


def test_a_lasting_warning_is_logged_once_and_again_when_its_reason_changes(account, caplog):
    """refresh_quality runs every hour: the log says when a warning starts or changes, not
    every hour it lasts."""
    caplog.set_level(logging.WARNING, logger="zns_notify.account.quality")
    readings = [
        ("MEDIUM", "MEDIUM"),  # warns: medium
        ("MEDIUM", "MEDIUM"),
        ("MEDIUM", "LOW"),  # still medium
        ("LOW", "MEDIUM"),  # warns: low
        ("LOW", "LOW"),
        ("UNDEFINED", "LOW"),  # warns: week_low
        ("HIGH", "HIGH"),  # no warning
        ("MEDIUM", "HIGH"),  # warns: falling
        ("MEDIUM", "HIGH"),
    ]
    for current, seven_day in readings:
        quality.record_quality(account, {"current": current, "seven_day": seven_day})
    logged = [record.getMessage() for record in caplog.records]
    assert len(logged) == 4
    for line, reason in zip(logged, ("medium", "low", "week_low", "falling"), strict=True):
        assert f"tier drop ({reason})" in line


# -- what the quota page reads -------------------------------------------------------------


def quota_row(account, day, **values) -> ZaloQuota:
    return ZaloQuota.objects.create(account=account, day=day, **values)


def test_standing_places_today_s_quota_on_the_ladder_in_force(account, time_machine):
    time_machine.move_to(NOW, tick=False)
    quota_row(account, NOW.date() - dt.timedelta(days=1), daily_quota=50_000)
    quota_row(account, NOW.date(), daily_quota=20_000, remaining_quota=19_000)
    ZaloQuality.objects.create(account=account, current="MEDIUM", seven_day="HIGH", read_at=NOW)
    found = quality.standing(account)
    assert found.reading.current == "MEDIUM" and found.warning == "falling"
    assert found.tier.ladder is LADDER_ZBS
    assert (found.tier.daily, found.tier.after_drop) == (20_000, 10_000)
    assert found.quota.day == NOW.date()


def test_standing_falls_back_to_the_latest_day_with_a_figure(account, time_machine):
    time_machine.move_to(NOW, tick=False)
    quota_row(account, NOW.date() - dt.timedelta(days=2), daily_quota=10_000)
    quota_row(account, NOW.date(), remaining_quota=5)  # no daily figure today
    quota_row(account, NOW.date() + dt.timedelta(days=1), daily_quota=1_000)  # not yet
    found = quality.standing(account)
    assert found.tier.daily == 10_000 and found.tier.after_drop == 1_000
    assert found.reading is None and found.warning == ""


def test_standing_of_an_oa_without_a_daily_limit(account, time_machine):
    time_machine.move_to(NOW, tick=False)
    quota_row(account, NOW.date(), unlimited=True)
    found = quality.standing(account)
    assert (found.tier.daily, found.tier.on_ladder, found.tier.after_drop) == (None, True, 50_000)


def test_standing_before_zbs_uses_the_2024_ladder(account, time_machine):
    time_machine.move_to(dt.datetime(2025, 12, 1, 9, 0, tzinfo=VN), tick=False)
    quota_row(account, dt.date(2025, 12, 1), daily_quota=5_000)
    found = quality.standing(account)
    assert found.tier.ladder is LADDER_2024 and found.tier.after_drop == 2_000


def test_standing_without_any_reading(account):
    found = quality.standing(account)
    assert (found.reading, found.quota, found.tier, found.warning) == (None, None, None, "")
