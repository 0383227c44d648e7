"""The SMS fallback in the delivery log: the channel column and its double-cost flag
(no query per row), the filter by fallback status, the step on the timeline and the
detail page, the CSV columns; phones masked as everywhere in the log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import MessageFactory
from tests.log.test_delivery_log import EXPORT, LIST, change, read_csv
from tests.users import staff_user
from zns_notify.models import FallbackStep

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def staff(client):
    """login(*codenames) -> a logged-in staff user holding exactly these permissions."""
    return lambda *codenames: staff_user(*codenames, client=client)


def step(message, **values) -> FallbackStep:
    values.setdefault("reference", f"{message.idempotency_key}-sms")
    values.setdefault("reason", FallbackStep.Reason.WINDOW)
    values.setdefault("due_at", NOW + dt.timedelta(minutes=5))
    values.setdefault("created_at", NOW)
    return FallbackStep.objects.create(message=message, **values)


def sent_step(message, **values) -> FallbackStep:
    defaults = dict(
        status=FallbackStep.Status.SENT,
        claimed_at=NOW,
        sent_at=NOW,
        attempts=1,
        provider="esms",
        provider_message_id="esms-777",
        encoding="GSM-7",
        segments=2,
        cost=Decimal("1700"),
        text=f"Don hang DH1 da giao. Goi {message.phone} neu can.",
        result={"CodeResult": "100", "SMSID": "esms-777"},
    )
    return step(message, **{**defaults, **values})


def test_the_channel_column_says_zns_or_zns_to_sms_and_flags_double_cost(client, staff):
    staff("view_message")
    plain = MessageFactory(order_ref="PLAIN")
    fell_back = MessageFactory(order_ref="FELLBACK", status="failed")
    sent_step(fell_back)
    late = MessageFactory(order_ref="LATE", status="delivered", delivered_at=NOW)
    sent_step(late, reference="late-sms", double_cost=True)
    waiting = MessageFactory(order_ref="WAITING", status="sent")
    step(waiting)
    html = client.get(LIST).content.decode()
    assert html.count("zns-channel--sms") == 2
    assert "ZNS → SMS" in html and "double cost" in html
    assert "SMS scheduled" in html
    assert plain.pk and html.count("zns-channel--zns") == 2


def test_the_channel_column_costs_no_query_per_row(client, staff):
    staff("view_message")
    sent_step(MessageFactory(status="failed"))
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for n in range(20):
        message = MessageFactory(status="failed")
        sent_step(message, reference=f"r{n}", double_cost=n % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST).status_code == 200
    assert len(many) <= len(one)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("sent", {"SENT", "LATE"}),
        ("scheduled", {"WAITING"}),
        ("cancelled", {"CANCELLED"}),
        ("double_cost", {"LATE"}),
        ("none", {"PLAIN"}),
        ("bogus", set()),
    ],
)
def test_the_log_filters_by_fallback_status(client, staff, value, expected):
    staff("view_message")
    MessageFactory(order_ref="PLAIN")
    sent_step(MessageFactory(order_ref="SENT", status="failed"))
    sent_step(MessageFactory(order_ref="LATE", status="delivered"), reference="l", double_cost=True)
    step(MessageFactory(order_ref="WAITING", status="sent"))
    step(
        MessageFactory(order_ref="CANCELLED", status="delivered"),
        reference="c",
        status=FallbackStep.Status.CANCELLED,
        cancelled_at=NOW,
    )
    response = client.get(LIST, {"fallback": value})
    assert response.status_code == 200
    refs = {m.order_ref for m in response.context["cl"].result_list}
    assert refs == expected


def test_the_timeline_tells_the_steps_story_with_the_phone_masked(client, staff):
    staff("view_message")
    message = MessageFactory(
        status="delivered", phone="84912345678", delivered_at=NOW + dt.timedelta(minutes=9)
    )
    sent_step(message, trigger="window", double_cost=True)
    html = client.get(change(message.pk)).content.decode()
    for text in (
        "SMS fallback scheduled",
        "No receipt within the window;",
        "SMS claimed by a worker",
        "SMS sent",
        "esms, id esms-777",
        "2 segment(s) · GSM-7 · 1.700 VND",
        "Late receipt: double cost",
    ):
        assert text in html, text
    assert "84912345678" not in html and "0912345678" not in html
    assert "zns-sms-step" in html  # the detail page's own SMS block


def test_the_full_phone_permission_shows_the_number_in_the_sms(client, staff):
    staff("view_message", "view_full_phone")
    message = MessageFactory(status="failed", phone="84912345678")
    sent_step(message)
    assert "Goi 84912345678 neu can." in client.get(change(message.pk)).content.decode()


def test_the_timeline_shows_a_failure_and_a_cancellation(client, staff):
    staff("view_message")
    failed = MessageFactory(status="failed")
    step(
        failed,
        status=FallbackStep.Status.FAILED,
        claimed_at=NOW,
        attempts=3,
        error_kind="permanent",
        error_message="eSMS 99: unknown error",
        reason=FallbackStep.Reason.IMMEDIATE,
        trigger="not_on_zalo",
    )
    html = client.get(change(failed.pk)).content.decode()
    assert "SMS failed" in html and "eSMS 99: unknown error" in html
    assert "Zalo cannot deliver: the phone is not on Zalo or cannot receive ZNS" in html
    cancelled = MessageFactory(status="delivered", delivered_at=NOW)
    step(
        cancelled,
        reference="c2",
        status=FallbackStep.Status.CANCELLED,
        cancelled_at=NOW + dt.timedelta(seconds=1),
    )
    html = client.get(change(cancelled.pk)).content.decode()
    assert "SMS cancelled" in html and "Zalo delivered the message before the SMS was due" in html


def test_a_message_without_a_step_has_no_sms_block(client, staff):
    staff("view_message")
    message = MessageFactory()
    html = client.get(change(message.pk)).content.decode()
    assert "zns-sms-step" not in html and "SMS fallback scheduled" not in html


def test_the_csv_has_the_channel_and_the_sms_figures(client, staff):
    staff("view_message")
    MessageFactory(order_ref="PLAIN")
    sent_step(MessageFactory(order_ref="LATE", status="delivered"), double_cost=True)
    header, *rows = read_csv(client.get(EXPORT))
    assert header[:4] == ["id", "created_at", "status", "event"]  # the old columns stay put
    assert header[-8:] == [
        "channel",
        "sms_status",
        "sms_reason",
        "sms_sent_at",
        "sms_provider_id",
        "sms_segments",
        "sms_cost",
        "double_cost",
    ]
    by_ref = {row[header.index("order_ref")]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_ref["LATE"]["channel"] == "ZNS → SMS"
    assert (
        by_ref["LATE"]["sms_segments"],
        by_ref["LATE"]["sms_cost"],
        by_ref["LATE"]["double_cost"],
    ) == ("2", "1700.00", "True")
    assert by_ref["PLAIN"]["channel"] == "ZNS" and by_ref["PLAIN"]["sms_status"] == ""


def test_the_filter_reads_the_same_with_many_steps(client, staff, monkeypatch):
    """Past FEW_STEPS matching steps the filter walks the log instead: same answer."""
    from zns_notify.log import fallback as log_fallback

    staff("view_message")
    sent_step(MessageFactory(order_ref="SENT", status="failed"))
    step(MessageFactory(order_ref="WAITING", status="sent"))
    MessageFactory(order_ref="PLAIN")
    few = {m.order_ref for m in client.get(LIST, {"fallback": "sent"}).context["cl"].result_list}
    monkeypatch.setattr(log_fallback, "FEW_STEPS", 0)
    many = {m.order_ref for m in client.get(LIST, {"fallback": "sent"}).context["cl"].result_list}
    assert few == many == {"SENT"}
