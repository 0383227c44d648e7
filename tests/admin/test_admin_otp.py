"""The admin page of one-time codes: what an operator reads of each request (phone masked
unless they may see it whole, purpose, status, channel, times, the latencies to Zalo, to
delivery and to the SMS, the SMS's cost, the message), read only, and never the code, its
hash or the client IP's hash."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from tests.factories import MessageFactory, TemplateFactory
from tests.otp.conftest import NORMALIZED, PHONE, START
from tests.users import staff_user
from zns_notify.models import FallbackStep, Message, OtpChallenge
from zns_notify.otp import codes, request_code, verify_code

pytestmark = pytest.mark.django_db

CODE = "907153"
LIST = "admin:zns_notify_otpchallenge_changelist"
DETAIL = "admin:zns_notify_otpchallenge_change"


@pytest.fixture
def challenge(monkeypatch, clock):
    monkeypatch.setattr(codes, "new_code", lambda: CODE)
    TemplateFactory(template_id="500", params=[{"name": "otp", "type": "OTP", "require": True}])
    request_code(PHONE, "login", client_ip="203.0.113.7")
    row = OtpChallenge.objects.get()
    # The worker sent it 1.5 s after the request.
    Message.objects.filter(pk=row.message_id).update(
        status="sent", msg_id="m-otp", sent_at=START + dt.timedelta(seconds=1.5)
    )
    return row


@pytest.fixture
def clock():
    """The app's clock stopped at START: no test depends on today's date or hour."""
    with time_machine.travel(START, tick=False):
        yield


def readers():
    yield User.objects.create_superuser("root", password="pw")
    yield staff_user("view_otpchallenge", "view_full_phone")
    yield staff_user("view_otpchallenge")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_no_page_shows_the_code_nor_its_hashes(challenge):
    verify_code(PHONE, "login", CODE)
    challenge.refresh_from_db()
    secrets = [CODE, challenge.code_hash, challenge.ip_hash, "203.0.113.7"]
    assert all(secrets)
    for user in readers():
        client = client_for(user)
        for url in (
            reverse(LIST),
            reverse(LIST) + "?status=verified",
            reverse(DETAIL, args=[challenge.pk]),
        ):
            answer = client.get(url)
            assert answer.status_code == 200, url
            page = answer.content.decode()
            for secret in secrets:
                assert secret not in page, (user, url)


def test_the_list_masks_the_phone_unless_the_reader_may_see_it(challenge):
    masked = client_for(staff_user("view_otpchallenge")).get(reverse(LIST)).content.decode()
    assert "********678" in masked and NORMALIZED not in masked
    full = client_for(staff_user("view_otpchallenge", "view_full_phone"))
    assert NORMALIZED in full.get(reverse(LIST)).content.decode()
    detail = client_for(staff_user("view_otpchallenge")).get(reverse(DETAIL, args=[challenge.pk]))
    assert "********678" in detail.content.decode()
    assert NORMALIZED not in detail.content.decode()


def test_a_phone_filter_in_the_url_is_refused_to_a_reader_of_masked_numbers(challenge):
    client = client_for(staff_user("view_otpchallenge"))
    assert client.get(reverse(LIST) + "?phone__startswith=849").status_code == 400


@pytest.mark.parametrize("lookup", ["code_hash__startswith", "ip_hash__startswith", "code_hash"])
def test_no_reader_can_filter_on_the_hashes_in_the_url(challenge, lookup):
    # One hex digit at a time, whether the row is listed would spell a hash out.
    for user in readers():
        answer = client_for(user).get(reverse(LIST), {lookup: challenge.code_hash[:1]})
        assert answer.status_code == 400, (user, lookup)


def test_the_list_shows_purpose_status_channel_latency_and_links_the_message(challenge):
    with translation.override("en"):
        page = client_for(staff_user("view_otpchallenge", "view_message")).get(reverse(LIST))
    text = page.content.decode()
    assert "login" in text and "Pending" in text and "Zalo (ZNS)" in text
    assert "1.5 s" in text
    assert reverse("admin:zns_notify_message_change", args=[challenge.message_id]) in text


def test_no_latency_before_the_message_is_sent(challenge):
    Message.objects.filter(pk=challenge.message_id).update(status="queued", sent_at=None)
    with translation.override("en"):
        text = client_for(staff_user("view_otpchallenge")).get(reverse(LIST)).content.decode()
    assert " s</td>" not in text


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("status=pending", True),
        ("status=verified", False),
        ("purpose=login", True),
        ("purpose=sign_up", False),
        ("channel=zns", True),
        ("channel=sms", False),
    ],
)
def test_the_filters(challenge, query, found):
    client = client_for(staff_user("view_otpchallenge"))
    answer = client.get(reverse(LIST) + "?" + query)
    assert answer.status_code == 200
    assert (reverse(DETAIL, args=[challenge.pk]) in answer.content.decode()) is found


def test_read_only(challenge):
    client = client_for(User.objects.create_superuser("root", password="pw"))
    assert client.get(reverse("admin:zns_notify_otpchallenge_add")).status_code == 403
    url = reverse(DETAIL, args=[challenge.pk])
    client.post(url, {"status": "verified"})
    challenge.refresh_from_db()
    assert challenge.status == OtpChallenge.Status.PENDING
    delete = reverse("admin:zns_notify_otpchallenge_delete", args=[challenge.pk])
    assert client.get(delete).status_code == 403


def test_vietnamese_labels(challenge):
    client = client_for(staff_user("view_otpchallenge"))
    client.cookies["django_language"] = "vi"
    text = client.get(reverse(LIST)).content.decode()
    assert "Mục đích" in text and "Độ trễ" in text and "1,5 giây" in text
    detail = client.get(reverse(DETAIL, args=[challenge.pk])).content.decode()
    assert "Mã đã xoá khỏi tin nhắn lúc" in detail


def sms_step(challenge, status="sent", *, after=12.0, cost="850", segments=1):
    """The code's SMS step, sent ``after`` seconds after the request."""
    return FallbackStep.objects.create(
        message_id=challenge.message_id,
        reference=f"otp-{challenge.pk}-sms",
        status=status,
        reason=FallbackStep.Reason.IMMEDIATE,
        due_at=START,
        sent_at=START + dt.timedelta(seconds=after) if status == "sent" else None,
        segments=segments if status == "sent" else 0,
        cost=Decimal(cost) if status == "sent" else None,
        text="Ma xac thuc •••••• cho login.",
    )


def test_the_list_shows_the_latency_to_zalo_and_to_delivery(challenge):
    Message.objects.filter(pk=challenge.message_id).update(
        status="delivered", delivered_at=START + dt.timedelta(seconds=3.25)
    )
    with translation.override("en"):
        text = client_for(staff_user("view_otpchallenge")).get(reverse(LIST)).content.decode()
    assert "Latency to Zalo" in text and "Latency to delivery" in text
    assert "1.5 s" in text and "3.3 s" in text


def test_no_delivery_latency_without_a_receipt(challenge):
    with translation.override("en"):
        text = client_for(staff_user("view_otpchallenge")).get(reverse(LIST)).content.decode()
    assert "1.5 s" in text and text.count(" s</td>") == 1


def test_the_detail_shows_the_sms_its_latency_and_cost(challenge):
    sms_step(challenge, after=21.5, cost="1700", segments=2)
    with translation.override("en"):
        client = client_for(staff_user("view_otpchallenge"))
        text = client.get(reverse(DETAIL, args=[challenge.pk])).content.decode()
    assert "SMS sent after" in text and "21.5 s" in text
    assert "1,700 VND (2 segments)" in text
    assert "••••••" not in text and "Ma xac thuc" not in text  # the SMS's text is not shown


@pytest.mark.parametrize("status", ["cancelled", "failed", None])
def test_no_sms_figures_when_no_sms_went_out(challenge, status):
    if status:
        sms_step(challenge, status)
    with translation.override("en"):
        client = client_for(staff_user("view_otpchallenge"))
        text = client.get(reverse(DETAIL, args=[challenge.pk])).content.decode()
    assert "SMS cost" in text and "VND" not in text and "segment" not in text


def test_the_sms_figures_in_vietnamese(challenge):
    sms_step(challenge, after=21.5, cost="850")
    client = client_for(staff_user("view_otpchallenge"))
    client.cookies["django_language"] = "vi"
    text = client.get(reverse(DETAIL, args=[challenge.pk])).content.decode()
    assert "SMS gửi sau" in text and "21,5 giây" in text and "850 ₫ (1 phân đoạn)" in text


def test_the_list_does_not_query_per_row(challenge, django_assert_max_num_queries):
    client = client_for(staff_user("view_otpchallenge"))
    client.get(reverse(LIST))  # warm the caches (content types, settings)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse(LIST))
    for n in range(5):
        message = MessageFactory(event="otp:login", status="delivered", sent_at=START)
        OtpChallenge.objects.create(
            phone=f"8491234{n:04d}",
            purpose="login",
            code_hash="0" * 64,
            status="expired",
            message=message,
            created_at=START,
            expires_at=START + dt.timedelta(minutes=5),
        )
        sms_step(OtpChallenge.objects.get(message=message))
    with django_assert_max_num_queries(len(one)):
        client.get(reverse(LIST))
