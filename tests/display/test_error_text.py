"""Zalo's error descriptions in the operator's language on the admin pages and reports,
while what is stored stays as the worker wrote it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import MessageFactory, ZaloAccountFactory
from tests.users import staff_user
from zns_notify.display.error_text import error_description, localized_reason
from zns_notify.models import Message, MessageEvent, SendingHold
from zns_notify.reports import rollup
from zns_notify.zalo.errors import ERROR_CODES, describe

ENGLISH = "Zalo account not existed"
VIETNAMESE = "Tài khoản Zalo không tồn tại"
STORED = f"Zalo error -118: {ENGLISH}"


def test_every_description_has_a_vietnamese_translation_that_differs():
    with translation.override("vi"):
        untranslated = [
            code for code, (_action, text) in ERROR_CODES.items() if error_description(code) == text
        ]
    assert not untranslated


def test_describe_stays_english_whatever_the_language():
    with translation.override("vi"):
        assert describe(-118) == ENGLISH
        assert error_description(-118) == VIETNAMESE
        assert error_description(-999999) == "Lỗi Zalo không xác định"


@pytest.mark.parametrize(
    "language, expected", [("vi", f"Zalo error -118: {VIETNAMESE}"), ("en", STORED)]
)
def test_the_description_is_replaced_in_place(language, expected):
    with translation.override(language):
        assert localized_reason(-118, STORED) == expected


def test_a_reason_wrapped_by_the_worker_keeps_its_sentence():
    stored = f"Sending is on hold until 2026-11-22 12:00: Zalo error -117: {describe(-117)}"
    with translation.override("vi"):
        shown = localized_reason(-117, stored)
    assert shown.startswith("Sending is on hold until 2026-11-22 12:00: Zalo error -117: ")
    assert shown.endswith("OA hoặc ứng dụng gửi ZNS chưa được cấp quyền sử dụng mẫu ZNS này")


def test_zalos_own_wording_is_kept_and_followed_by_the_description():
    with translation.override("vi"):
        assert (
            localized_reason(-118, "Zalo error -118: user not found")
            == f"Zalo error -118: user not found ({VIETNAMESE})"
        )
        assert (
            localized_reason(-118, f"Zalo error -118: {VIETNAMESE}")
            == f"Zalo error -118: {VIETNAMESE}"
        )
    with translation.override("en"):  # written in Vietnamese by Zalo, read in English
        assert (
            localized_reason(-118, f"Zalo error -118: {VIETNAMESE}")
            == f"Zalo error -118: {VIETNAMESE} ({ENGLISH})"
        )


def test_unknown_codes_and_no_code_leave_the_text_alone():
    with translation.override("vi"):
        assert localized_reason(None, "Connection to Zalo failed") == "Connection to Zalo failed"
        assert localized_reason(-999999, "Zalo error -999999: odd") == "Zalo error -999999: odd"


# -- the pages --------------------------------------------------------------------------------


def staff(client, *codenames: str) -> User:
    return staff_user(*codenames, client=client)


def page(client, url: str, language: str) -> str:
    with translation.override(language):
        return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


@pytest.fixture
def failed():
    message = MessageFactory(
        status="failed", error_category="recipient", error_code=-118, error_message=STORED
    )
    MessageEvent.objects.create(
        message=message, kind="attempt", status="failed", error_code=-118, detail=STORED
    )
    return message


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, shown, hidden", [("vi", VIETNAMESE, ENGLISH), ("en", ENGLISH, VIETNAMESE)]
)
def test_the_report_page_names_the_failure_in_the_operators_language(
    client, failed, language, shown, hidden
):
    rollup.refresh_reports()
    staff(client, "view_reports")
    html = page(client, reverse("admin:zns_notify_reportday_changelist"), language)
    assert f"-118 {shown}" in html
    assert hidden not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, shown, hidden", [("vi", VIETNAMESE, ENGLISH), ("en", ENGLISH, VIETNAMESE)]
)
def test_the_message_pages_show_the_description_in_the_operators_language(
    client, failed, language, shown, hidden
):
    staff(client, "view_message")
    detail = page(client, reverse("admin:zns_notify_message_change", args=[failed.pk]), language)
    # The outcome field and the attempt on the timeline.
    assert detail.count(f"Zalo error -118: {shown}") >= 2
    assert hidden not in detail
    listing = page(client, reverse("admin:zns_notify_message_changelist"), language)
    assert f"Zalo error -118: {shown}" in listing
    assert hidden not in listing
    failed.refresh_from_db()
    assert failed.error_message == STORED  # stored as written


@pytest.mark.django_db
def test_the_hold_pages_show_the_description_in_the_operators_language(client):
    hold = SendingHold.objects.create(
        account=ZaloAccountFactory(),
        error_code=-118,
        reason=STORED,
        until=timezone.now() + dt.timedelta(hours=1),
    )
    staff(client, "view_sendinghold", "view_zaloaccount")
    listing = page(client, reverse("admin:zns_notify_sendinghold_changelist"), "vi")
    assert VIETNAMESE in listing and ENGLISH not in listing
    detail = page(client, reverse("admin:zns_notify_sendinghold_change", args=[hold.pk]), "vi")
    assert VIETNAMESE in detail


@pytest.mark.django_db
def test_the_api_keeps_the_stored_english_text(failed):
    from rest_framework.test import APIClient

    reader = User.objects.create_user("reader", password="pw", is_staff=True)
    reader.user_permissions.set(
        Permission.objects.filter(content_type__app_label="zns_notify", codename="view_message")
    )
    api = APIClient()
    api.force_authenticate(reader)
    with translation.override("vi"):
        answer = api.get(f"/zns/api/messages/{failed.pk}/", HTTP_ACCEPT_LANGUAGE="vi").json()
    assert answer["error_message"] == STORED
    assert Message.objects.get(pk=failed.pk).error_message == STORED
