"""The account's admin page shows today's quota and any hold, and can release holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import MessageFactory, TemplateFactory
from zns_notify.lib import clock
from zns_notify.models import Message, RecipientDailyCount, SendingHold, ZaloQuota
from zns_notify.sending.send import deliver

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


# -- the recipient cap today ---------------------------------------------------------------


def quota_page(client, account) -> str:
    url = reverse("admin:zns_notify_zaloaccount_quota", args=[account.pk])
    return client.get(url).content.decode()


def test_the_quota_page_warns_of_order_notices_the_cap_withheld_today(
    admin_client, account, zalo_api, settings
):
    """The cap set as one number for every tag, as the settings allow: each order notice
    past it is counted where the operator sees it, with the customers it missed."""
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "RECIPIENT_DAILY_CAP": 1}
    template = TemplateFactory(tag="TRANSACTION")
    zalo_api.send_ok(msg_id="first-to-lan")
    zalo_api.send_ok(msg_id="first-to-minh")
    for phone in ("84912345678", "84912345678", "84912345678", "84987654321", "84987654321"):
        deliver(MessageFactory(template=template, phone=phone).idempotency_key)
    assert Message.objects.filter(status=Message.Status.SKIPPED).count() == 3
    html = quota_page(admin_client, account)
    assert (
        "The recipient cap withheld 3 order messages (TRANSACTION) today, to 2 customers"
    ) in html
    assert "TRANSACTION 1, CUSTOMER_CARE 1, PROMOTION 1" in html
    assert RecipientDailyCount.objects.get(phone="84912345678").refused == 2
    counts = admin_client.get(
        reverse("admin:zns_notify_recipientdailycount_changelist"),
        {"day__gte": clock.local_day().isoformat()},
    )
    assert counts.status_code == 200 and "refused by the cap" in counts.content.decode().lower()


def test_with_the_default_caps_the_page_says_nothing_was_withheld(admin_client, account, settings):
    settings.ZNS_NOTIFY = {
        k: v for k, v in settings.ZNS_NOTIFY.items() if k != "RECIPIENT_DAILY_CAP"
    }
    html = quota_page(admin_client, account)
    assert "The recipient cap withheld no message today." in html
    assert "TRANSACTION No cap, CUSTOMER_CARE 5, PROMOTION 3" in html
    assert 'id="zns-cap-warning"' not in html


def test_withheld_care_messages_are_listed_without_the_order_warning(
    admin_client, account, zalo_api
):
    """Yesterday's refusals are not today's: only the local day's are counted."""
    yesterday = clock.local_day() - dt.timedelta(days=1)
    RecipientDailyCount.objects.create(
        phone="84912345678", day=clock.local_day(), tag="CUSTOMER_CARE", count=5, refused=2
    )
    RecipientDailyCount.objects.create(
        phone="84912345678", day=yesterday, tag="TRANSACTION", count=5, refused=9
    )
    html = quota_page(admin_client, account)
    assert 'id="zns-cap-table"' in html and "CUSTOMER_CARE" in html
    assert 'id="zns-cap-warning"' not in html


def test_the_warning_in_vietnamese(admin_client, account):
    RecipientDailyCount.objects.create(
        phone="84912345678", day=clock.local_day(), tag="TRANSACTION", count=5, refused=4
    )
    url = reverse("admin:zns_notify_zaloaccount_quota", args=[account.pk])
    html = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Giới hạn theo người nhận đã giữ lại 4 tin đơn hàng (TRANSACTION)" in html
