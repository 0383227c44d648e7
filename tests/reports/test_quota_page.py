"""The quota page of an OA: today's figures, the forecast of when the quota runs out, and
30 days of the ledger; for staff who may view the account."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from tests.factories import MessageFactory, ZaloAccountFactory
from zns_notify.lib.clock import local_day
from zns_notify.models import ZaloQuota
from zns_notify.reports.quota import forecast

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def url(account) -> str:
    return f"/admin/zns_notify/zaloaccount/{account.pk}/quota/"


def quota_row(account, day, daily=1000, remaining=400, **extra) -> ZaloQuota:
    return ZaloQuota.objects.create(
        account=account, day=day, daily_quota=daily, remaining_quota=remaining, **extra
    )


@pytest.fixture
def account():
    return ZaloAccountFactory(name="Cửa hàng Hoa")


def test_the_account_page_links_to_its_quota_page(admin_client, account):
    html = admin_client.get(f"/admin/zns_notify/zaloaccount/{account.pk}/change/").content.decode()
    assert f'href="{url(account)}"' in html
    listing = admin_client.get("/admin/zns_notify/zaloaccount/").content.decode()
    assert f'href="{url(account)}"' in listing


def test_today_history_and_forecast(admin_client, account):
    today = local_day()
    quota_row(
        account,
        today,
        daily=1000,
        remaining=400,
        daily_promotion_quota=200,
        remaining_promotion_quota=150,
    )
    for back in range(1, 40):
        quota_row(account, today - dt.timedelta(days=back), daily=1000, remaining=1000 - back * 10)
    response = admin_client.get(url(account))
    html = response.content.decode()
    assert response.status_code == 200
    cards = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert cards == {
        "Daily quota": "1,000",
        "Used today": "600",
        "Remaining today": "400",
        "Promotion quota today": "200",
        "Promotion remaining": "150",
    }
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>', html)
    assert len(rows) == 30 and rows[0] == today.isoformat()  # newest first, 30 days
    assert html.count('<svg class="zns-chart"') == 1 and "<title id=" in html
    assert 'id="zns-forecast"' in html


def test_the_page_in_vietnamese(admin_client, account):
    quota_row(account, local_day(), daily=12000, remaining=3456)
    html = admin_client.get(url(account), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    cards = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert cards["Hạn mức ngày"] == "12.000" and cards["Còn lại hôm nay"] == "3.456"
    assert local_day().strftime("%d/%m/%Y") in html


def test_forecast_at_the_last_hour_s_rate(account):
    now = dt.datetime(2026, 11, 22, 10, 0, tzinfo=VN)
    row = quota_row(account, now.date(), daily=1000, remaining=100)
    for minutes in range(0, 60, 3):  # 20 messages in the last hour
        MessageFactory(created_at=now - dt.timedelta(minutes=minutes), status="delivered")
    MessageFactory(created_at=now - dt.timedelta(minutes=5), status="skipped")  # no quota used
    MessageFactory(created_at=now - dt.timedelta(minutes=5), development_mode=True)
    MessageFactory(created_at=now - dt.timedelta(hours=2), status="delivered")  # too old
    found = forecast(row, now)
    assert (found.outcome, found.per_hour, found.basis) == ("today", 20.0, "last_hour")
    assert found.runs_out_at == now + dt.timedelta(hours=5)


def test_forecast_falls_back_to_the_day_s_average(account):
    now = dt.datetime(2026, 11, 22, 20, 0, tzinfo=VN)
    row = quota_row(account, now.date(), daily=1000, remaining=200)  # 800 in 20 hours
    found = forecast(row, now)
    assert (found.outcome, found.per_hour, found.basis) == ("not_today", 40.0, "since_midnight")
    row = quota_row(account, now.date() - dt.timedelta(days=1), daily=1000, remaining=50)
    late = dt.datetime(2026, 11, 21, 20, 0, tzinfo=VN)  # 950 in 20 h: 47.5/h, 50 left
    assert forecast(row, late).runs_out_at == late + dt.timedelta(hours=50 / 47.5)


@pytest.mark.parametrize("remaining,outcome", [(None, "unknown"), (0, "used_up")])
def test_forecast_without_a_reading_or_quota(account, remaining, outcome):
    row = quota_row(account, local_day(), remaining=remaining)
    assert forecast(row, timezone.now()).outcome == outcome
    assert forecast(None, timezone.now()).outcome == "unknown"


def test_forecast_text_on_the_page(admin_client, account):
    quota_row(account, local_day(), remaining=0)
    assert (
        "Used up: messages wait for the reset at midnight."
        in admin_client.get(url(account)).content.decode()
    )


def test_an_account_without_ledger_rows(admin_client, account):
    html = admin_client.get(url(account)).content.decode()
    assert "Unknown: no quota reading from Zalo today yet" in html
    assert dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))["Daily quota"] == "—"


def test_only_staff_who_may_view_the_account(client, account):
    user = User.objects.create_user("op", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(url(account)).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_zaloaccount"))
    assert client.get(url(account)).status_code == 200


@pytest.mark.parametrize("pk", ["987654", "not-a-number"])
def test_an_unknown_account_is_a_404(admin_client, pk):
    response = admin_client.get(f"/admin/zns_notify/zaloaccount/{pk}/quota/")
    assert response.status_code == 404


def test_times_are_told_in_the_shop_s_time_zone_whatever_django_s(settings):
    """The quota resets at the shop's midnight (ZNS_NOTIFY["TIMEZONE"]): "around 15:00
    today" is 15:00 there, even when the host's TIME_ZONE is UTC."""
    from zns_notify.admin.quota_page import forecast_text
    from zns_notify.reports.quota import Forecast

    settings.TIME_ZONE = "UTC"
    runs_out = dt.datetime(2026, 11, 22, 15, 0, tzinfo=VN)
    assert forecast_text(Forecast("today", 20.0, "last_hour", runs_out)).startswith(
        "Around 15:00 today"
    )


def test_a_day_without_a_daily_limit_says_so_in_english_and_vietnamese(admin_client, account):
    """Issue 15 §2: Zalo answered -1, empty or no figure (the "unrestricted" tier)."""
    quota_row(account, local_day(), daily=None, remaining=None, unlimited=True)
    assert forecast(ZaloQuota.objects.get(), timezone.now()).outcome == "unlimited"
    html = admin_client.get(url(account)).content.decode()
    cards = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert cards["Daily quota"] == "No limit" and cards["Remaining today"] == "No limit"
    assert "Never: Zalo sets this OA no daily limit" in html
    html = admin_client.get(url(account), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    cards = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert cards["Hạn mức ngày"] == "Không giới hạn"
    assert "Không bao giờ" in html
