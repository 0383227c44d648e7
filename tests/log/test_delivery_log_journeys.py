"""ZNS Journey in the delivery log: the note under the channel (no query per row), the
Journey filter (under a journey, normal, outside and each reason), the detail page's
journey block (Zalo's id, token type, billing, its messages, one by one vs under the
journey) and timeline entry, in English and Vietnamese; and the journeys' read-only list
with its masked phones, costs and saving, for staff allowed to view it."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import MessageFactory, TemplateFactory
from tests.journey_rows import billed_journey, journey_message
from tests.log.test_delivery_log import LIST, change
from tests.users import staff_user

pytestmark = pytest.mark.django_db

NOW = timezone.now()
JOURNEYS = reverse("admin:zns_notify_journey_changelist")


@pytest.fixture
def staff(client):
    return lambda *codenames: staff_user(*codenames, client=client)


@pytest.fixture
def order():
    """An order's shipped and delivered notices under one journey, a notice sent outside
    the journey, and a normal message."""
    shipped = TemplateFactory(template_id="100003", name="Đang giao", price=Decimal("300"))
    delivered = TemplateFactory(template_id="100004", name="Đã giao", price=Decimal("150"))
    journey = billed_journey(NOW - dt.timedelta(hours=2), order_ref="DH777", phone="84987654321")
    first = journey_message(
        NOW - dt.timedelta(hours=2), shipped, journey=journey, msg_id="m-shipped"
    )
    second = journey_message(
        NOW - dt.timedelta(hours=1), delivered, journey=journey, event="order_delivered"
    )
    outside = journey_message(NOW, shipped, fallback="incompatible", order_ref="OUTSIDE")
    plain = MessageFactory(order_ref="PLAIN")
    return dict(journey=journey, first=first, second=second, outside=outside, plain=plain)


def listed(client, **query) -> set[str]:
    response = client.get(LIST, query)
    assert response.status_code == 200
    return {m.order_ref for m in response.context["cl"].result_list}


@pytest.mark.parametrize(
    "value,expected",
    [
        ("under", {"DH777"}),
        ("normal", {"PLAIN"}),
        ("outside", {"OUTSIDE"}),
        ("outside:incompatible", {"OUTSIDE"}),
        ("outside:refused", set()),
        ("outside:nonsense", set()),
        ("nonsense", set()),
    ],
)
def test_the_log_filters_by_journey(client, staff, order, value, expected):
    staff("view_message")
    assert listed(client, journey=value) == expected


def test_the_channel_column_says_under_or_outside_the_journey_without_a_query_per_row(
    client, staff, order
):
    staff("view_message")
    html = client.get(LIST).content.decode()
    assert html.count("zns-journey--under") == 2
    assert 'title="the template is not declared for this token type (-1491)"' in html
    assert html.count("zns-journey--outside") == 1
    for n in range(5):
        MessageFactory(order_ref=f"MORE{n}")
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for _n in range(5):
        journey_message(NOW, order["first"].template, journey=order["journey"])
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)
    assert len(many) == len(few)


def test_the_detail_shows_the_journey_its_billing_messages_and_prices(client, staff, order):
    staff("view_message", "view_reports")
    html = client.get(change(order["first"].pk)).content.decode()
    block = html[html.index('class="zns-journey-detail"') :]
    block = block[: block.index("</table>")]
    assert "Under a journey (Delivery journey, 7 days)" in block
    assert order["journey"].journey_id in block
    assert "with this message, the journey&#x27;s first" in block
    assert "300 VND (the template&#x27;s price)" in block
    assert "0 VND per delivered message (JOURNEY_MESSAGE_PRICE)" in block
    # Two notices: 450 one by one, the token 180 under the journey.
    assert "180 VND under the journey, 450 VND one by one: saving 270 VND" in block
    assert f'href="{change(order["second"].pk)}"' in block
    assert reverse("admin:zns_notify_journey_change", args=[order["journey"].pk]) in block
    assert "journey-token-" not in html  # the token is a secret
    # The later message does not carry the token.
    second = client.get(change(order["second"].pk)).content.decode()
    assert "the journey&#x27;s first" not in second
    assert "Sent under the order&#x27;s journey" in second  # its timeline entry


def test_the_detail_says_why_a_message_went_outside_the_journey(client, staff, order):
    staff("view_message", "view_reports")
    html = client.get(change(order["outside"].pk)).content.decode()
    reason = "Sent outside the journey because the template is not declared for this token type"
    assert html.count(reason) == 2  # the block and the timeline
    assert "300 VND (the template&#x27;s price)" in html
    plain = client.get(change(order["plain"].pk)).content.decode()
    assert "zns-journey-detail" not in plain


def test_prices_and_savings_are_for_staff_who_may_view_the_reports(client, staff, order):
    # docs/permissions.md: costs are the reports' (view_reports), not the log's.
    staff("view_message", "view_journey")
    block = detail_block(client, order["first"])
    assert "Under a journey (Delivery journey, 7 days)" in block
    assert order["journey"].journey_id in block and "the journey&#x27;s first" in block
    for price in ("VND", "one by one", "saving", "JOURNEY_MESSAGE_PRICE"):
        assert price not in block
    assert "VND" not in detail_block(client, order["outside"])
    listing = client.get(JOURNEYS).content.decode()
    row = cells(listing)
    assert "DH777" in row and row[-1] == "2"  # its messages, no costs
    assert "VND" not in listing and "saving" not in listing
    page = reverse("admin:zns_notify_journey_change", args=[order["journey"].pk])
    assert "VND" not in client.get(page).content.decode()


def test_the_journey_block_is_vietnamese(client, staff, order):
    staff("view_message")
    html = client.get(change(order["first"].pk), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Trong hành trình (Hành trình giao hàng, 7 ngày)" in html
    assert "Gửi trong hành trình của đơn hàng" in html
    assert "Trong hành trình" in client.get(LIST, HTTP_ACCEPT_LANGUAGE="vi").content.decode()


def cells(html: str) -> list[str]:
    row = html[html.index("<tbody>") :]
    row = row[: row.index("</tr>")]
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
    ]


def test_the_journeys_list_shows_costs_and_masks_phones(client, staff, order):
    staff("view_journey", "view_reports")
    response = client.get(JOURNEYS)
    assert response.status_code == 200
    html = response.content.decode()
    row = cells(html)
    assert "DH777" in row and "********321" in row
    assert row[-4:] == ["2", "180 VND", "450 VND", "270 VND"]
    assert "84987654321" not in html and "journey-token-" not in html
    # A filter on the phone or the token would spell them out: refused.
    assert client.get(JOURNEYS, {"phone__startswith": "849"}).status_code == 400
    assert client.get(JOURNEYS, {"token__startswith": "j"}).status_code == 400


def test_a_journey_of_one_cheap_message_shows_its_loss(client, staff):
    staff("view_journey", "view_reports")
    cheap = TemplateFactory(template_id="100009", price=Decimal("150"))
    journey = billed_journey(NOW)
    journey_message(NOW, cheap, journey=journey)
    row = cells(client.get(JOURNEYS).content.decode())
    assert row[-4:] == ["1", "180 VND", "150 VND", "-30 VND"]


def test_the_journeys_list_is_read_only_and_needs_its_permission(client, staff, order):
    staff("view_message")
    assert client.get(JOURNEYS).status_code == 403
    user = staff("view_journey", "change_journey", "delete_journey", "add_journey")
    assert user.has_perm("zns_notify.view_journey")
    page = reverse("admin:zns_notify_journey_change", args=[order["journey"].pk])
    assert 'name="_save"' not in client.get(page).content.decode()
    assert client.post(page, {}).status_code == 403
    assert client.get(reverse("admin:zns_notify_journey_add")).status_code == 403


# -- a journey binding's message by its status --------------------------------------------


@pytest.mark.parametrize(
    "status,fallback,english,vietnamese",
    [
        ("queued", "", "not sent yet", "chưa gửi"),
        ("sending", "", "not sent yet", "chưa gửi"),
        ("failed", "", "not sent", "không được gửi"),
        ("skipped", "", "not sent", "không được gửi"),
        ("cancelled", "", "not sent", "không được gửi"),
        (
            "failed",
            "not_issued",
            "not sent: outside the journey because Zalo would not issue a token",
            "không được gửi: ngoài hành trình vì",
        ),
    ],
)
def test_a_journey_binding_message_not_taken_is_worded_by_its_status(
    client, staff, status, fallback, english, vietnamese
):
    staff("view_message")
    template = TemplateFactory(template_id="100003", price=Decimal("300"))
    message = journey_message(NOW, template, status=status, fallback=fallback)
    block = detail_block(client, message)
    assert f"Journey binding (Delivery journey, 7 days), {english}" in block
    assert "not sent yet" not in block or status in ("queued", "sending")
    vi = detail_block(client, message, HTTP_ACCEPT_LANGUAGE="vi")
    assert f"Liên kết hành trình (Hành trình giao hàng, 7 ngày), {vietnamese}" in vi


def test_a_message_linked_to_a_journey_in_flight_is_not_yet_under_it(client, staff):
    """The run links a journey message before its request goes: until Zalo took it, the log
    does not count it under the journey."""
    staff("view_message")
    template = TemplateFactory(template_id="100003", price=Decimal("300"))
    journey = billed_journey(NOW)
    in_flight = journey_message(NOW, template, journey=journey, status="sending")
    assert "not sent yet" in detail_block(client, in_flight)
    assert listed(client, journey="under") == set()


def detail_block(client, message, **headers) -> str:
    html = client.get(change(message.pk), **headers).content.decode()
    block = html[html.index('class="zns-journey-detail"') :]
    return block[: block.index("</table>")]
