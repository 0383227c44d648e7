"""The reports page's "ZNS Journey" section: its figures and its tables per template and
per day (in English and Vietnamese), the negative saving marked, the page's cost figures
with the journeys at their price, the filters, and the journeys' block of the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest

from tests.factories import TemplateFactory
from tests.journey_rows import billed_journey, journey_message
from tests.reports.test_code_report_page import summary
from tests.reports.test_report_page import URL, reader  # noqa: F401 (a fixture)
from tests.reports.test_rollup import NOW, TODAY, at, message
from zns_notify.reports import rollup

pytestmark = pytest.mark.django_db
YESTERDAY = TODAY - dt.timedelta(days=1)
BEFORE = YESTERDAY - dt.timedelta(days=1)
PERIOD = {"start": BEFORE.isoformat(), "end": YESTERDAY.isoformat()}


@pytest.fixture
def journeys():
    """Two days: an order's shipped and delivered notices under one journey on the first,
    a journey of one cheap notice and a notice sent outside the journey on the second,
    and a normal order message each day."""
    shipped = TemplateFactory(template_id="100003", name="Đang giao", price=Decimal("300"))
    delivered = TemplateFactory(template_id="100004", name="Đã giao", price=Decimal("150"))
    first = billed_journey(at(BEFORE, 9))
    journey_message(at(BEFORE, 9), shipped, journey=first)
    journey_message(at(BEFORE, 16), delivered, journey=first, event="order_delivered")
    second = billed_journey(at(YESTERDAY, 9))
    journey_message(at(YESTERDAY, 9), delivered, journey=second, event="order_delivered")
    journey_message(at(YESTERDAY, 10), shipped, fallback="incompatible")
    for day in (BEFORE, YESTERDAY):
        message(at(day), template=TemplateFactory(template_id="100001", price=Decimal("200")))
        rollup.compute_day(day, NOW)


def section(html: str) -> str:
    return html[html.index('id="zns-journeys"') :]


def table_rows(html: str, table_id: str) -> list[list[str]]:
    table = html[html.index(f'id="{table_id}"') :]
    table = table[: table.index("</table>")]
    return [
        re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row)
        for row in re.findall(r"<tr(?: class=\"zns-total\")?>(.*?)</tr>", table)
    ][1:]


def test_the_section_shows_what_journeys_cost_and_saved(reader, journeys):  # noqa: F811
    html = reader.get(URL, PERIOD).content.decode()
    numbers = summary(html, 'id="zns-journeys"')
    assert numbers["Messages under a journey"] == "3"
    assert numbers["Journeys billed"] == "2"
    assert numbers["Cost under journeys"] == "360 VND"
    assert numbers["The same messages one by one"] == "600 VND"
    assert numbers["Saving"] == "240 VND"
    assert numbers["Sent outside the journey"] == "1"
    assert table_rows(html, "zns-journeys-templates") == [
        ["100004 · Đã giao", "2", "2", "1", "180 VND", "300 VND", "120 VND", "0"],
        ["100003 · Đang giao", "1", "1", "1", "180 VND", "300 VND", "120 VND", "1"],
        ["Total", "3", "3", "2", "360 VND", "600 VND", "240 VND", "1"],
    ]
    days = table_rows(html, "zns-journeys-days")
    # The second day: one notice cheaper than its token, a loss, marked as one.
    assert [row[0] for row in days[:2]] == [BEFORE.isoformat(), YESTERDAY.isoformat()]
    assert days[1][6] == "-30 VND"
    assert 'class="num zns-negative">-30 VND' in section(html)


def test_the_page_s_cost_counts_journeys_at_their_price(reader, journeys):  # noqa: F811
    html = reader.get(URL, PERIOD).content.decode()
    numbers = summary(html[: html.index('id="zns-journeys"')])
    # Two normal messages (400), the notice sent outside (300), the two tokens (360).
    assert numbers["ZNS cost"] == "1,060 VND"


def test_the_section_is_vietnamese_with_the_page(reader, journeys):  # noqa: F811
    html = reader.get(URL, PERIOD, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    numbers = summary(html, 'id="zns-journeys"')
    assert numbers["Tin gửi trong hành trình"] == "3"
    assert numbers["Khoản tiết kiệm"] == "240 ₫"
    assert numbers["Gửi ngoài hành trình"] == "1"
    assert "Theo mẫu" in section(html)


def test_the_template_filter_applies_and_a_period_without_journeys_has_no_section(
    reader,  # noqa: F811
    journeys,
):
    html = reader.get(URL, {**PERIOD, "template": "100003"}).content.decode()
    assert summary(html, 'id="zns-journeys"')["Saving"] == "120 VND"
    html = reader.get(URL, {**PERIOD, "template": "100001"}).content.decode()
    assert 'id="zns-journeys"' not in html
    later = {"start": TODAY.isoformat(), "end": TODAY.isoformat()}
    assert 'id="zns-journeys"' not in reader.get(URL, later).content.decode()


def test_the_csv_ends_with_the_journeys_by_day_and_template(reader, journeys):  # noqa: F811
    response = reader.get(URL, {**PERIOD, "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    start = rows.index(next(row for row in rows if row[:2] == ["Day", "Template"]))
    header, *lines = rows[start:]
    assert header[2:] == [
        "Messages under a journey",
        "Delivered",
        "Journeys billed",
        "Token cost (VND)",
        "Message cost under journeys (VND)",
        "One-by-one cost (VND)",
        "Saving (VND)",
        "Sent outside the journey",
    ]
    assert lines == [
        [BEFORE.isoformat(), "100003", "1", "1", "1", "180", "0", "300", "120", "0"],
        [BEFORE.isoformat(), "100004", "1", "1", "0", "0", "0", "150", "150", "0"],
        [YESTERDAY.isoformat(), "100003", "0", "0", "0", "0", "0", "0", "0", "1"],
        [YESTERDAY.isoformat(), "100004", "1", "1", "1", "180", "0", "150", "-30", "0"],
        ["Total", "", "3", "3", "2", "360", "0", "600", "240", "1"],
    ]
    assert rows[0][:2] == ["Day", "Messages"]
