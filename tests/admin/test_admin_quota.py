"""The account's admin page shows today's quota and any hold, and can release holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import MessageFactory
from zns_notify.lib import clock
from zns_notify.models import Message, SendingHold, ZaloQuota

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(account):
    ZaloQuota.objects.create(
        account=account,
        day=clock.local_day(),
        daily_quota=20000,
        remaining_quota=19874,
        daily_promotion_quota=5000,
        remaining_promotion_quota=4990,
        monthly_promotion_quota=10000,
        remaining_monthly_promotion_quota=9000,
    )
    return account


def test_account_pages_show_quota_used_remaining_and_promotion(admin_client, ledger):
    listing = admin_client.get(reverse("admin:zns_notify_zaloaccount_changelist"))
    listing = listing.content.decode()
    assert "20000" in listing and "19874" in listing and "126" in listing
    page = admin_client.get(reverse("admin:zns_notify_zaloaccount_change", args=[ledger.pk]))
    html = page.content.decode()
    for number in ("20000", "19874", "126", "4990", "9000"):
        assert number in html


def test_account_page_shows_the_hold_and_the_action_releases_it(admin_client, account):
    message = MessageFactory(
        status=Message.Status.QUEUED,
        error_category="config",
        next_attempt_at=timezone.now() + dt.timedelta(hours=1),
    )
    SendingHold.objects.create(
        account=account,
        error_code=-137,
        reason="Zalo error -137: insufficient balance",
        until=timezone.now() + dt.timedelta(hours=1),
    )
    page = admin_client.get(reverse("admin:zns_notify_zaloaccount_change", args=[account.pk]))
    html = page.content.decode()
    assert "insufficient balance" in html
    response = admin_client.post(
        reverse("admin:zns_notify_zaloaccount_changelist"),
        {"action": "release_holds", "_selected_action": [account.pk]},
    )
    assert response.status_code == 302
    assert not SendingHold.objects.get().is_active
    message.refresh_from_db()
    assert message.next_attempt_at <= timezone.now()


def test_hold_admin_pages_answer(admin_client, account):
    hold = SendingHold.objects.create(
        account=account,
        error_code=-131,
        reason="not approved",
        until=timezone.now() + dt.timedelta(hours=1),
    )
    for url in (
        reverse("admin:zns_notify_sendinghold_changelist"),
        reverse("admin:zns_notify_sendinghold_change", args=[hold.pk]),
    ):
        assert admin_client.get(url).status_code == 200


def test_every_admin_page_warns_staff_about_an_active_hold(admin_client, account):
    SendingHold.objects.create(
        account=account,
        error_code=-137,
        reason="Zalo Cloud Account has no balance (-137)",
        created_at=timezone.now(),
        until=timezone.now() + dt.timedelta(hours=1),
    )
    for url in ("/admin/", "/admin/zns_notify/message/"):
        html = admin_client.get(url).content.decode()
        assert "Sending is on hold" in html and "no balance (-137)" in html, url
        assert 'href="/admin/zns_notify/sendinghold/"' in html
    SendingHold.objects.update(until=timezone.now())
    assert "Sending is on hold" not in admin_client.get("/admin/").content.decode()


def test_an_account_without_todays_reading_shows_dashes_not_none(admin_client, account):
    page = admin_client.get(
        reverse("admin:zns_notify_zaloaccount_change", args=[account.pk])
    ).content.decode()
    for field in ("daily_quota_display", "used_display", "remaining_display"):
        cell = page.split(f"field-{field}", 1)[1].split('<div class="readonly">', 1)[1]
        assert cell.split("</div>", 1)[0] == "-", field


def test_an_account_without_a_daily_limit_shows_no_limit(admin_client, account):
    ZaloQuota.objects.create(account=account, day=clock.local_day(), unlimited=True)
    page = admin_client.get(
        reverse("admin:zns_notify_zaloaccount_change", args=[account.pk])
    ).content.decode()
    for field in ("daily_quota_display", "remaining_display"):
        cell = page.split(f"field-{field}", 1)[1].split('<div class="readonly">', 1)[1]
        assert cell.split("</div>", 1)[0] == "no limit", field
