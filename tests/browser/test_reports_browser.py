"""An operator reads the delivery reports and an OA's quota page in a real browser: the
charts are there, the date range switches, the CSV downloads. Screenshots: report.png,
report_vi.png, quota.png, quota_vi.png (var/screenshots/ or $ZNS_SCREENSHOT_DIR)."""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal

import pytest

from tests.factories import MessageFactory, TemplateFactory, ZaloAccountFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reports_operator(operator):
    from django.contrib.auth.models import Permission

    operator.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="zns_notify", codename__in=["view_reports", "view_zaloaccount"]
        )
    )
    return operator


@pytest.fixture
def history(reports_operator):
    """Five weeks of messages of three templates, and the quota ledger, as the schedule
    would have computed them."""
    from django.utils import timezone

    from zns_notify.lib.clock import local_day
    from zns_notify.models import ZaloQuota
    from zns_notify.reports.rollup import rebuild_reports

    rng = random.Random(6)
    account = ZaloAccountFactory(name="Cửa hàng Hoa Mai")
    templates = [
        TemplateFactory(template_id=str(250001 + i), name=name, price=Decimal(price))
        for i, (name, price) in enumerate(
            [("Xác nhận đơn hàng", 300), ("Đơn hàng đã giao", 250), ("Khảo sát sau mua", 200)]
        )
    ]
    now = timezone.now()
    # (status, weight); failures with a real (category, Zalo code) pair.
    statuses = [
        ("delivered", 30),
        ("undelivered", 3),
        ("failed", 3),
        ("skipped", 2),
        ("cancelled", 1),
    ]
    failures = [("recipient", -118), ("recipient", -139), ("payload", -1121), ("retry", -100)]
    for back in range(35):
        created = now - dt.timedelta(days=back, hours=1)
        weights = statuses + ([("sent", 6)] if back < 2 else [])
        for _ in range(rng.randrange(10, 30)):
            status = rng.choices(*zip(*weights, strict=True))[0]
            category, code = rng.choice(failures) if status == "failed" else ("", None)
            MessageFactory(
                template=rng.choice(templates),
                created_at=created,
                status=status,
                event=rng.choice(["order_created", "order_paid", "order_shipped"]),
                sent_at=created if status in ("delivered", "sent", "undelivered") else None,
                delivered_at=created + dt.timedelta(seconds=rng.randrange(2, 90))
                if status == "delivered"
                else None,
                error_category=category,
                error_code=code,
            )
    for _ in range(3):  # "Send test" from the binding editor: counted, not billed
        MessageFactory(
            template=templates[0],
            created_at=now,
            status="delivered",
            development_mode=True,
            sent_at=now,
            delivered_at=now + dt.timedelta(seconds=5),
        )
    today = local_day()
    for back in range(30):
        ZaloQuota.objects.create(
            account=account,
            day=today - dt.timedelta(days=back),
            daily_quota=20_000,
            remaining_quota=20_000 - rng.randrange(2_000, 18_000),
            daily_promotion_quota=5_000,
            remaining_promotion_quota=4_200,
        )
    rebuild_reports()
    return account


def test_operator_reads_the_report_switches_the_range_and_downloads_the_csv(
    open_admin, history, shoot
):
    page = open_admin()
    page.get_by_role("link", name="Delivery reports").click()
    page.wait_for_url("**/admin/zns_notify/reportday/")
    assert page.locator("svg.zns-chart").count() == 3
    assert page.get_by_role("img", name="Messages per day by status").is_visible()
    assert page.locator("#zns-daily-table tbody tr:not(.zns-total)").count() == 7
    assert page.input_value("#id_start") and page.input_value("#id_end")  # the range used
    shoot(page, "report")

    page.get_by_role("link", name="last 30 days").click()
    page.wait_for_url("**/admin/zns_notify/reportday/?start=*")
    assert page.locator("#zns-daily-table tbody tr:not(.zns-total)").count() == 30
    assert page.locator("#zns-days-chart svg rect").count() > 30

    # A range typed into the form, then a bad one: the message, not an error page.
    today = dt.date.fromisoformat(page.input_value("#id_end"))
    page.fill("#id_start", (today - dt.timedelta(days=13)).isoformat())
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert page.locator("#zns-daily-table tbody tr:not(.zns-total)").count() == 14
    page.fill("#id_start", (today + dt.timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert "is before the start date" in page.locator(".errorlist").inner_text()
    page.go_back()

    page.get_by_role("link", name="last 30 days").click()
    page.wait_for_url("**/admin/zns_notify/reportday/?start=*")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    content = open(download.value.path(), encoding="utf-8-sig").read()
    assert download.value.suggested_filename.startswith("zns-report-")
    assert content.splitlines()[0].startswith("Day,Messages,Delivered")
    assert len(re.findall(r"^\d{4}-\d\d-\d\d,", content, re.MULTILINE)) == 30  # one per day


def test_operator_reads_the_report_in_vietnamese(open_admin, history, shoot):
    page = open_admin(locale="vi-VN")
    page.goto("/admin/zns_notify/reportday/")
    assert page.get_by_role("img", name="Số tin mỗi ngày theo trạng thái").is_visible()
    assert "₫" in page.locator(".zns-summary").inner_text()
    assert "3 tin thử không tính phí" in page.locator(".zns-summary").inner_text()
    shoot(page, "report_vi")


def falling_quality(account) -> None:
    """Zalo rates the last 48 hours Medium after a High week: the page warns."""
    from zns_notify.models import ZaloQuality

    ZaloQuality.objects.create(account=account, current="MEDIUM", seven_day="HIGH")


def test_operator_opens_the_quota_page_of_the_oa(open_admin, history, shoot):
    falling_quality(history)
    page = open_admin()
    page.goto(f"/admin/zns_notify/zaloaccount/{history.pk}/change/")
    page.get_by_role("link", name="Quota and forecast").click()
    page.wait_for_url(f"**/admin/zns_notify/zaloaccount/{history.pk}/quota/")
    assert page.locator("svg.zns-chart").count() == 1
    assert page.locator("#zns-quota-table tbody tr").count() == 30
    assert page.locator("#zns-forecast").inner_text().startswith("Runs out:")
    # The warning before a tier drop, at the top of the page: 20,000 is a step of both
    # Zalo's ladders (2024 and ZBS), and one down from it is 10,000 on either.
    warning = page.get_by_role("alert")
    assert warning.is_visible() and warning.bounding_box()["y"] < 400
    assert "below its quality over 7 days (High)" in warning.inner_text()
    assert "from 20,000 to 10,000 messages a day" in warning.inner_text()
    assert page.locator("#zns-quality-current").inner_text() == "Medium"
    assert page.locator("#zns-quality-tier").inner_text() == "20,000"
    assert page.locator("#zns-quality-ladder strong").inner_text() == "20,000"
    shoot(page, "quota")


def test_operator_reads_the_quality_warning_in_vietnamese(open_admin, history, shoot):
    falling_quality(history)
    page = open_admin(locale="vi-VN")
    page.goto(f"/admin/zns_notify/zaloaccount/{history.pk}/quota/")
    warning = page.get_by_role("alert")
    assert warning.is_visible()
    assert "từ 20.000 xuống 10.000 tin mỗi ngày" in warning.inner_text()
    assert page.locator("#zns-quality-current").inner_text() == "Trung bình"
    shoot(page, "quota_vi")


def test_operator_reads_the_cost_per_channel(open_admin, history, shoot):
    """With SMS fallbacks in the range: the summary's cost per channel, the cost chart,
    and the SMS columns of the daily table. Screenshot: report-cost-per-channel.png."""
    from zns_notify.models import FallbackStep, Message
    from zns_notify.reports.rollup import rebuild_reports

    # Most failed and undelivered messages fell back to an SMS; one in four undelivered
    # ones reached the phone after all (a late receipt): paid twice.
    for n, message in enumerate(Message.objects.filter(status__in=["failed", "undelivered"])):
        FallbackStep.objects.create(
            message=message,
            reference=f"{message.idempotency_key}-sms",
            status="sent",
            reason="immediate" if message.status == "failed" else "window",
            due_at=message.created_at,
            created_at=message.created_at,
            sent_at=message.created_at,
            segments=1 + n % 2,
            cost=Decimal(850 * (1 + n % 2)),
            double_cost=message.status == "undelivered" and n % 4 == 0,
        )
    rebuild_reports()
    page = open_admin()
    page.goto(
        "/admin/zns_notify/reportday/?start="
        + (dt.date.today() - dt.timedelta(days=13)).isoformat()
    )
    summary = dict(
        zip(
            page.locator(".zns-summary dt").all_inner_texts(),
            page.locator(".zns-summary dd").all_inner_texts(),
            strict=True,
        )
    )
    assert summary["SMS cost"] != "0 VND" and summary["SMS fallbacks sent"] != "0"
    assert page.get_by_role("img", name="Cost per channel per day").is_visible()
    header = page.locator("#zns-daily-table thead").text_content()  # CSS upper-cases it
    assert "SMS cost" in header and "Total cost" in header
    page.locator("#zns-cost-chart").scroll_into_view_if_needed()
    shoot(page, "report-cost-per-channel")


def test_operator_reads_the_journeys_saving_and_finds_their_messages(
    open_admin, history, reports_operator, shoot
):
    """Orders whose shipped and delivered notices went under one journey token: the
    report's ZNS Journey section, then the log's journey filter and a message's journey
    block. Screenshots: report-journeys.png, log-journey-detail.png."""
    from django.contrib.auth.models import Permission
    from django.utils import timezone

    from tests.journey_rows import billed_journey, journey_message
    from zns_notify.reports.rollup import rebuild_reports

    reports_operator.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="zns_notify", codename__in=["view_message", "view_journey"]
        )
    )
    shipped = TemplateFactory(template_id="100003", name="Đang giao hàng", price=Decimal(300))
    delivered = TemplateFactory(template_id="100004", name="Giao thành công", price=Decimal(250))
    now = timezone.now()
    for back in range(6):
        start = now - dt.timedelta(days=back, hours=3)
        journey = billed_journey(start, order_ref=f"DH{900 + back}")
        journey_message(start, shipped, journey=journey)
        journey_message(start + dt.timedelta(hours=2), delivered, journey=journey)
    journey_message(now - dt.timedelta(hours=1), shipped, fallback="incompatible")
    rebuild_reports()

    page = open_admin()
    page.goto("/admin/zns_notify/reportday/")
    section = page.locator("#zns-journeys")
    section.scroll_into_view_if_needed()
    summary = dict(
        zip(
            section.locator(".zns-summary dt").all_inner_texts(),
            section.locator(".zns-summary dd").all_inner_texts(),
            strict=True,
        )
    )
    # Six orders: 300 + 250 one by one, one 180 VND token each.
    assert summary["Journeys billed"] == "6" and summary["Saving"] == "2,220 VND"
    assert summary["Sent outside the journey"] == "1"
    assert page.locator("#zns-journeys-templates tbody tr").count() == 3  # two and the total
    shoot(page, "report-journeys")

    page.goto("/admin/zns_notify/message/?journey=under")
    assert page.locator("#result_list tbody tr").count() == 12
    page.locator("#result_list tbody tr a").first.click()
    block = page.locator(".zns-journey-detail")
    assert "Under a journey (Delivery journey, 7 days)" in block.inner_text()
    assert "180 VND under the journey, 550 VND one by one: saving 370 VND" in block.inner_text()
    block.scroll_into_view_if_needed()
    shoot(page, "log-journey-detail")
    page.goto("/admin/zns_notify/message/?journey=outside%3Aincompatible")
    assert page.locator("#result_list tbody tr").count() == 1
