"""The quota page's sending quality and tier, and its warning before a tier drop, in English
and Vietnamese."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from zns_notify.models import ZaloQuality, ZaloQuota

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=VN)
WARNING = re.compile(r'<li class="warning" id="zns-quality-warning" role="alert">([^<]+)</li>')


@pytest.fixture(autouse=True)
def _fixed_now(time_machine):
    time_machine.move_to(NOW, tick=False)


def page(client, account, language: str = "en") -> str:
    url = reverse("admin:zns_notify_zaloaccount_quota", args=[account.pk])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def read(account, current: str, seven_day: str, daily: int | None = 20_000, **quota) -> None:
    ZaloQuality.objects.create(
        account=account, current=current, seven_day=seven_day, read_at=NOW - dt.timedelta(minutes=5)
    )
    if daily is not None or quota:
        ZaloQuota.objects.create(
            account=account,
            day=NOW.date(),
            daily_quota=daily,
            updated_at=NOW - dt.timedelta(minutes=20),
            **quota,
        )


def warning(html: str) -> str:
    found = WARNING.findall(html)
    assert len(found) <= 1
    return found[0].replace("&#x27;", "'") if found else ""


def figure(html: str, name: str) -> str:
    return re.search(rf'<dd id="zns-quality-{name}">([^<]+)</dd>', html).group(1)


def test_a_healthy_oa_shows_its_quality_and_tier_without_a_warning(admin_client, account):
    read(account, "HIGH", "HIGH")
    html = page(admin_client, account)
    assert warning(html) == ""
    assert (figure(html, "current"), figure(html, "seven-day"), figure(html, "tier")) == (
        "High",
        "High",
        "20,000",
    )
    ladder = re.search(r'id="zns-quality-ladder">(.+?)</p>', html).group(1)
    assert "Zalo's tiers since 2026-01-16:" in ladder
    assert "1,000 (penalty) → 10,000 → <strong>20,000</strong> → 50,000 → No limit." in ladder
    assert "Quality read from Zalo at 2026-11-20 09:55 (every hour)." in html
    assert "Daily quota as of 2026-11-20 09:40." in html


def test_low_quality_warns_what_one_tier_down_leaves(admin_client, account):
    read(account, "LOW", "HIGH")
    text = warning(page(admin_client, account))
    assert text.startswith("Zalo rates this OA's sending quality Low over the last 48 hours.")
    assert "halves the daily quota or more: from 20,000 to 10,000 messages a day." in text
    assert "pause them until the quality recovers" in text


def test_quality_below_the_week_s_warns_that_it_is_falling(admin_client, account):
    read(account, "MEDIUM", "HIGH", daily=10_000)
    text = warning(page(admin_client, account))
    assert "over the last 48 hours (Medium) is below its quality over 7 days (High)" in text
    assert "from 10,000 to 1,000 messages a day." in text


def test_a_steady_medium_quality_warns_too(admin_client, account):
    read(account, "MEDIUM", "MEDIUM", daily=50_000)
    text = warning(page(admin_client, account))
    assert text.startswith("This OA's sending quality is Medium over the last 48 hours")
    assert "from 50,000 to 20,000 messages a day." in text


def test_an_oa_without_a_daily_limit_would_lose_it(admin_client, account):
    read(account, "LOW", "LOW", daily=None, unlimited=True)
    html = page(admin_client, account)
    assert figure(html, "tier") == "No limit"
    assert "<strong>No limit</strong>" in html
    assert "ends the OA's unlimited daily quota: it could send 50,000 messages a day." in (
        warning(html)
    )


def test_on_the_penalty_tier_the_warning_says_it_cannot_drop_further(admin_client, account):
    read(account, "LOW", "LOW", daily=1_000)
    text = warning(page(admin_client, account))
    assert "already on the lowest tier of Zalo's ladder (1,000 messages a day)" in text
    assert "halves" not in text


def test_a_quota_off_the_ladder_is_said_to_be(admin_client, account):
    read(account, "MEDIUM", "MEDIUM", daily=5_000)
    html = page(admin_client, account)
    assert "Zalo&#x27;s daily quota (5,000) is not one of this ladder&#x27;s steps." in html
    assert "<strong>" not in re.search(r'id="zns-quality-ladder">(.+?)</p>', html).group(1)
    text = warning(html)
    assert "the daily quota would fall from 5,000 to 1,000 messages a day." in text
    assert "halves" not in text  # only the ladder's own steps are known to halve


@pytest.mark.parametrize(
    ("now", "daily", "after"),
    [
        (NOW, 15_000, "10,000"),  # between two ZBS steps
        (dt.datetime(2025, 12, 1, 10, 0, tzinfo=VN), 3_000, "2,000"),  # between 2024 steps
    ],
)
def test_a_drop_from_between_two_steps_says_what_it_would_fall_to(
    admin_client, account, time_machine, now, daily, after
):
    time_machine.move_to(now, tick=False)
    ZaloQuality.objects.create(account=account, current="LOW", seven_day="LOW", read_at=now)
    ZaloQuota.objects.create(account=account, day=now.date(), daily_quota=daily)
    text = warning(page(admin_client, account))
    assert f"would fall from {daily:,} to {after} messages a day." in text
    assert "halves" not in text


@pytest.mark.parametrize("daily", [0, 500])
def test_a_quota_below_the_lowest_step_is_not_called_the_lowest_tier(admin_client, account, daily):
    read(account, "LOW", "LOW", daily=daily)
    text = warning(page(admin_client, account))
    assert (
        f"The daily quota ({daily}) is already below the lowest step of Zalo's ladder "
        "(1,000 messages a day): the ladder has no lower tier to drop to." in text
    )
    assert "lowest tier of Zalo's ladder" not in text and "halves" not in text


def test_without_a_quota_reading_the_warning_cannot_say_what_a_drop_leaves(admin_client, account):
    read(account, "LOW", "MEDIUM", daily=None)
    html = page(admin_client, account)
    assert figure(html, "tier") == "—"
    assert "no daily quota reading from Zalo yet to say what it would become" in warning(html)


@pytest.mark.parametrize(
    ("current", "seven_day"),
    [("HIGH", "LOW"), ("UNDEFINED", "MEDIUM"), ("", "HIGH"), ("", ""), ("HIGH", "UNDEFINED")],
)
def test_no_warning_unless_the_quality_says_so(admin_client, account, current, seven_day):
    read(account, current, seven_day)
    assert warning(page(admin_client, account)) == ""


@pytest.mark.parametrize("current", ["UNDEFINED", ""])
def test_a_low_week_warns_when_the_last_48_hours_cannot_be_judged(admin_client, account, current):
    """An OA that stopped sending after complaints: too few messages in 48 hours for a
    level, but the week is still LOW."""
    read(account, current, "LOW")
    text = warning(page(admin_client, account))
    assert text.startswith(
        "Zalo rates this OA's sending quality Low over the last 7 days, and gives no level "
        "for the last 48 hours (too few messages to judge)."
    )
    assert "If the quality is still low when the OA sends again, Zalo may move it down" in text
    assert "from 20,000 to 10,000 messages a day." in text


def test_a_low_week_in_vietnamese(admin_client, account):
    read(account, "UNDEFINED", "LOW", daily=3_000)
    text = warning(page(admin_client, account, "vi"))
    assert text.startswith("Zalo đánh giá chất lượng gửi tin của OA này là Thấp trong 7 ngày qua")
    assert "hạn mức ngày sẽ giảm từ 3.000 xuống 1.000 tin mỗi ngày." in text


def test_figures_zalo_left_out_or_judged_undefined(admin_client, account):
    read(account, "UNDEFINED", "")
    html = page(admin_client, account)
    assert figure(html, "current") == "Undefined (too few messages to judge)"
    assert figure(html, "seven-day") == "Not given by Zalo"


def test_before_any_reading_the_page_says_so(admin_client, account):
    html = page(admin_client, account)
    assert figure(html, "current") == figure(html, "seven-day") == "Not read yet"
    assert "Zalo's quality has not been read yet: it is read every hour." in html
    assert warning(html) == "" and "Daily quota as of" not in html
    assert "1,000 (penalty) → 10,000 → 20,000 → 50,000 → No limit." in html


def test_the_page_and_its_warning_in_vietnamese(admin_client, account):
    read(account, "MEDIUM", "HIGH")
    html = page(admin_client, account, "vi")
    assert "Chất lượng gửi tin và bậc hạn mức" in html
    assert (figure(html, "current"), figure(html, "seven-day"), figure(html, "tier")) == (
        "Trung bình",
        "Cao",
        "20.000",
    )
    assert "1.000 (mức phạt) → 10.000 → <strong>20.000</strong> → 50.000 → Không giới hạn" in html
    text = warning(html)
    assert "Chất lượng gửi tin của OA này trong 48 giờ qua (Trung bình) thấp hơn" in text
    assert "chất lượng 7 ngày (Cao)" in text
    assert "giảm một nửa hoặc hơn: từ 20.000 xuống 10.000 tin mỗi ngày." in text
    assert "tạm dừng chúng cho đến khi chất lượng phục hồi" in text
    assert "Chất lượng được đọc từ Zalo lúc 20/11/2026 09:55 (mỗi giờ một lần)." in html


def test_no_warning_in_vietnamese_either(admin_client, account):
    read(account, "HIGH", "MEDIUM")
    html = page(admin_client, account, "vi")
    assert warning(html) == "" and figure(html, "current") == "Cao"


def test_low_quality_in_vietnamese(admin_client, account):
    read(account, "LOW", "LOW", daily=None, unlimited=True)
    text = warning(page(admin_client, account, "vi"))
    assert text.startswith("Zalo đánh giá chất lượng gửi tin của OA này là Thấp")
    assert "chấm dứt hạn mức ngày không giới hạn của OA: OA chỉ còn gửi được 50.000 tin" in text
