"""An operator works the delivery log in a real browser: reads the list (badges, linked
order, masked phone), opens a message and reads Zalo's request and answer, resends a failed
message and follows the link between the original and its copy, and exports the list as
CSV. Screenshots: log-list.png, log-detail.png (and log-resent.png)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.factories import BindingFactory, MessageFactory, OrderFactory

pytestmark = pytest.mark.django_db(transaction=True)

ANSWER = {
    "error": 0,
    "message": "Success",
    "data": {
        "msg_id": "a4d0243feee163bd3af2",
        "sent_time": "1626926349402",
        "quota": {"dailyQuota": "500", "remainingQuota": "499"},
    },
}


@pytest.fixture
def log(operator):
    from django.contrib.auth.models import Permission

    from zns_notify.models import MessageEvent

    operator.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="zns_notify", codename__in=["resend_message", "cancel_message"]
        )
    )
    order = OrderFactory()
    binding = BindingFactory()
    template = binding.template
    common = dict(
        template=template,
        binding=binding,
        order_type="shop.order",
        order_pk=str(order.pk),
        order_ref=order.code,
    )
    now = timezone.now()
    delivered = MessageFactory(
        **common,
        phone="84912345678",
        status="delivered",
        msg_id="a4d0243feee163bd3af2",
        attempts=1,
        sent_at=now,
        delivered_at=now + dt.timedelta(seconds=20),
    )
    body = {
        "phone": "84912345678",
        "template_id": template.template_id,
        "template_data": {
            "customer_name": "Nguyễn Thị Lan",
            "order_code": order.code,
            "total_amount": "1.250.000 đ",
        },
        "tracking_id": delivered.idempotency_key,
    }
    MessageEvent.objects.create(
        message=delivered,
        kind="attempt",
        status="sent",
        at=now + dt.timedelta(seconds=1),
        detail="Accepted by Zalo as a4d0243feee163bd3af2.",
        payload={"request": {"path": "/message/template", "body": body}, "answer": ANSWER},
    )
    MessageEvent.objects.create(
        message=delivered,
        kind="receipt",
        status="delivered",
        at=now + dt.timedelta(seconds=21),
        detail="user_received_message a4d0243feee163bd3af2",
    )
    failed = MessageFactory(
        **common,
        phone="84987654321",
        status="failed",
        attempts=1,
        error_code=-118,
        error_category="recipient",
        error_message="Zalo error -118: Zalo account not existed",
    )
    MessageFactory(**common, phone="84900000001", status="queued", event="order_paid")
    MessageFactory(
        **{**common, "order_type": "api.order", "order_pk": "ext-1", "order_ref": "EXT-0001"},
        phone="84900000002",
        status="sent",
    )
    return order, delivered, failed


def test_operator_reads_the_list_and_exports_it(open_admin, log, shoot, tmp_path):
    order, _delivered, _failed = log
    page = open_admin()
    page.goto("/admin/zns_notify/message/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 4
    assert page.locator(".zns-badge--delivered").count() == 1
    assert page.locator(".zns-badge--failed").count() == 1
    # The order links to the shop's own admin page for it; an API-reported order does not.
    assert page.locator(f'a[href="/admin/shop/order/{order.pk}/change/"]').count() == 3
    assert page.get_by_text("EXT-0001").count() == 1
    assert page.locator('a:has-text("EXT-0001")').count() == 0
    shoot(page, "log-list")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    saved = tmp_path / "log.csv"
    download.value.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id,created_at,status,event")
    assert len(lines) == 5


def test_operator_reads_zalos_request_and_answer(open_admin, log, shoot):
    _order, delivered, _failed = log
    page = open_admin()
    page.goto(f"/admin/zns_notify/message/{delivered.pk}/change/")
    timeline = page.locator(".zns-timeline")
    text = timeline.text_content()  # the titles are upper-cased by CSS in inner_text
    assert "Request to Zalo" in text and "Zalo's answer" in text
    assert "remainingQuota" in text and "Nguyễn Thị Lan" in text
    entries = timeline.locator("li.zns-entry")
    kinds = [entries.nth(i).get_attribute("class").split("--")[-1] for i in range(entries.count())]
    # Zalo's delivery time, then the receipt that reported it.
    assert kinds == ["enqueued", "attempt", "delivered", "receipt"]
    # The operator may see numbers whole (view_full_phone): here they are.
    assert "84912345678" in text
    shoot(page, "log-detail")


def test_operator_resends_a_failed_message_and_follows_the_link(open_admin, log, shoot):
    _order, _delivered, failed = log
    page = open_admin()
    page.goto(f"/admin/zns_notify/message/{failed.pk}/change/")
    with page.expect_navigation():
        page.get_by_role("button", name="Resend").click()
    copy_url = re.compile(r"/admin/zns_notify/message/(\d+)/change/$")
    assert copy_url.search(page.url)
    copy_pk = int(copy_url.search(page.url).group(1))
    assert copy_pk != failed.pk
    assert f"was resent as message #{copy_pk}" in page.locator(".messagelist").inner_text()
    timeline = page.locator(".zns-timeline").inner_text()
    assert f"Resent by operator from message #{failed.pk}" in timeline
    shoot(page, "log-resent")

    # The copy names its original; the original names its copy.
    page.locator(".zns-timeline").get_by_role("link", name=f"#{failed.pk}").first.click()
    page.wait_for_url(f"**/admin/zns_notify/message/{failed.pk}/change/")
    assert f"Resent by operator as message #{copy_pk}" in page.locator(".zns-timeline").inner_text()
    # On the list, the copy says whose copy it is.
    page.goto("/admin/zns_notify/message/")
    assert page.get_by_role("link", name=f"↻ copy of #{failed.pk}").count() == 1


def test_the_log_reads_in_vietnamese_with_vietnamese_dates(open_admin, log, shoot):
    _order, delivered, _failed = log
    page = open_admin(locale="vi-VN")
    page.goto("/admin/zns_notify/message/")
    assert page.get_by_role("link", name="Xuất CSV").is_visible()
    assert page.locator(".zns-badge--delivered").inner_text() == "Đã nhận"
    # Short dates as Vietnamese write them: 14:05 22-11-2026.
    created = page.locator("#result_list tbody tr .field-created_display").first.inner_text()
    assert re.fullmatch(r"\d{2}:\d{2} \d{2}-\d{2}-\d{4}", created.strip()), created
    shoot(page, "log-list-vi")
    page.goto(f"/admin/zns_notify/message/{delivered.pk}/change/")
    assert "Yêu cầu gửi Zalo" in page.locator(".zns-timeline").text_content()
    shoot(page, "log-detail-vi")


def test_operator_sees_the_sms_fallback_in_the_list_and_the_timeline(open_admin, log, shoot):
    """The channel column and its filter, and the SMS step on the timeline.
    Screenshots: log-fallback-list.png, log-fallback-detail.png."""
    from decimal import Decimal

    from zns_notify.models import FallbackStep

    _order, delivered, failed = log
    now = timezone.now()
    FallbackStep.objects.create(
        message=failed,
        reference=f"{failed.idempotency_key}-sms",
        status="sent",
        reason="immediate",
        trigger="not_on_zalo",
        due_at=now,
        created_at=now,
        attempts=1,
        claimed_at=now,
        sent_at=now + dt.timedelta(seconds=1),
        provider="esms",
        provider_message_id="3981d7b751c7",
        encoding="GSM-7",
        segments=1,
        cost=Decimal(850),
        text="DemoShop: Don DH000001 da giao thanh cong.",
    )
    FallbackStep.objects.create(
        message=delivered,
        reference=f"{delivered.idempotency_key}-sms",
        status="sent",
        reason="window",
        trigger="window",
        due_at=now,
        created_at=now,
        attempts=1,
        claimed_at=now,
        sent_at=now,
        provider="esms",
        provider_message_id="445d16a51e51",
        encoding="GSM-7",
        segments=1,
        cost=Decimal(850),
        double_cost=True,
    )
    page = open_admin()
    page.goto("/admin/zns_notify/message/")
    assert page.locator(".zns-channel--sms").count() == 2
    assert page.locator(".zns-double-cost").count() == 1
    page.get_by_role("link", name="Double cost (late receipt)").click()
    page.wait_for_url(re.compile(r"fallback=double_cost"))
    assert page.locator("#result_list tbody tr").count() == 1
    page.goto("/admin/zns_notify/message/?fallback=sent")
    assert page.locator("#result_list tbody tr").count() == 2
    shoot(page, "log-fallback-list")

    page.goto(f"/admin/zns_notify/message/{failed.pk}/change/")
    timeline = page.locator(".zns-timeline").inner_text()
    assert "SMS fallback scheduled" in timeline
    assert "Zalo cannot deliver: the phone is not on Zalo" in timeline
    assert "esms, id 3981d7b751c7 · 1 segment(s) · GSM-7 · 850 VND" in timeline
    assert "ZNS → SMS" in page.locator(".zns-sms-step").inner_text()
    shoot(page, "log-fallback-detail")
