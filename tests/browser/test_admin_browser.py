"""An operator (staff, not a superuser) uses the admin in a real browser: logs in, reads the
message log, finds a customer's message by phone and reads its timeline, in Vietnamese too.
Each test leaves a screenshot (var/screenshots/ or $ZNS_SCREENSHOT_DIR) to look at."""

from __future__ import annotations

import re

import pytest

from tests.admin.test_admin_vietnamese import django_untranslated, english_left, english_words
from tests.factories import BindingFactory, MessageFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def messages(operator):
    from zns_notify.models import MessageEvent

    binding = BindingFactory()
    told = MessageFactory(
        template=binding.template,
        binding=binding,
        phone="84912345678",
        order_ref="DH000042",
        status="delivered",
    )
    MessageEvent.objects.create(
        message=told, kind="attempt", status="sent", detail="Zalo: error 0 Success"
    )
    MessageEvent.objects.create(
        message=told, kind="receipt", status="delivered", detail="user_received_message"
    )
    others = [
        MessageFactory(
            template=binding.template,
            binding=binding,
            phone=f"8490000{n:04d}",
            order_ref=f"DH1{n:05d}",
        )
        for n in range(5)
    ]
    return told, others


def test_operator_logs_in_and_opens_the_message_log(open_admin, messages, shoot):
    page = open_admin()
    page.get_by_role("link", name="Messages").first.click()
    page.wait_for_url("**/admin/zns_notify/message/")
    assert page.locator("#result_list tbody tr").count() == 6
    # A superuser-only page would show the auth app; the operator sees only what is granted.
    assert page.get_by_role("link", name="Users").count() == 0
    shoot(page, "operator_message_log")


def test_operator_finds_a_message_by_phone_and_reads_its_timeline(open_admin, messages, shoot):
    told, _others = messages
    page = open_admin()
    page.goto("/admin/zns_notify/message/")
    page.fill("#searchbar", "84912345678")
    page.press("#searchbar", "Enter")
    page.wait_for_url("**/admin/zns_notify/message/?q=84912345678")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "DH000042" in rows.first.inner_text()
    shoot(page, "operator_search_by_phone")

    rows.first.locator("th a, td a").first.click()
    # The admin keeps the search in the query string, for the way back to the list.
    page.wait_for_url(re.compile(rf"/admin/zns_notify/message/{told.pk}/change/(\?|$)"))
    timeline = page.locator(".zns-timeline").inner_text()
    assert "user_received_message" in timeline and "Zalo: error 0 Success" in timeline
    shoot(page, "operator_message_timeline")


def test_operator_reads_the_admin_in_vietnamese(open_admin, messages, shoot):
    page = open_admin(locale="vi-VN")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert "Thông báo Zalo" in page.content()  # the app's name
    page.goto("/admin/zns_notify/message/")
    assert page.locator("#searchbar + input[type=submit]").get_attribute("value") == "Tìm kiếm"
    # Django's vi catalogue lacks the filter's "Show counts": zns_notify's catalogue fills it.
    assert page.get_by_role("link", name="Hiện số lượng").is_visible()
    # The page as the browser shows it (after its scripts) has no English left, ours or
    # Django's: the actions bar's button ("Run" since Django 6.0) is Vietnamese too.
    assert page.locator(".actions button[type=submit]").inner_text() in ("Đi đến", "Thực hiện")
    left = english_left(page.content(), english_words(), django_untranslated())
    assert set(left) <= {"operator"}, left  # the user's name, in the header
    shoot(page, "operator_message_log_vi")


def test_operator_switches_the_admin_to_vietnamese(open_admin, messages, shoot):
    page = open_admin()  # the browser asks for English
    page.goto("/admin/zns_notify/message/")
    assert page.locator("h1").inner_text() == "Select message to view"
    with page.expect_navigation():  # the select submits its form on change
        page.select_option("#language-switch select", "vi")
    # Back on the same page, now in Vietnamese (kept in the language cookie from then on).
    assert page.url.endswith("/admin/zns_notify/message/")
    assert page.locator("h1").inner_text() == "Chọn tin nhắn để xem"
    page.goto("/admin/")
    assert "Thông báo Zalo" in page.content()
    shoot(page, "operator_switched_to_vi")
