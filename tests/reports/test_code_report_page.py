"""The reports page's "One-time codes" section: its numbers and table per purpose for the
period (in English and Vietnamese), the order messages' figures without the codes, the
note on the total cost, and the codes' block of the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest

from tests.factories import MessageFactory, TemplateFactory
from tests.reports.test_code_figures import YESTERDAY, code
from tests.reports.test_report_page import URL, reader  # noqa: F401 (a fixture)
from tests.reports.test_rollup import NOW, at
from zns_notify.reports import rollup

pytestmark = pytest.mark.django_db
BEFORE = YESTERDAY - dt.timedelta(days=1)
PERIOD = {"start": BEFORE.isoformat(), "end": YESTERDAY.isoformat()}


@pytest.fixture
def codes(settings):
    """Two days of codes for two purposes, and one order message, computed."""
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "OTP_PURPOSES": {"login": "Log in", "sign_up": "Sign up"},
    }
    otp = TemplateFactory(template_id="500001", price=Decimal("300"))
    order = TemplateFactory(template_id="300001", name="Đơn hàng", price=Decimal("200"))
    for day in (BEFORE, YESTERDAY):
        code(at(day, 8), otp, wire=0.3)
        code(at(day, 9), otp, wire=0.6, status="expired")
        code(at(day, 10), otp, purpose="sign_up", message_status="failed", wire=None, sms="sent")
        MessageFactory(
            template=order,
            created_at=at(day),
            status="delivered",
            sent_at=at(day),
            delivered_at=at(day, 9, 1),
        )
        rollup.compute_day(day, NOW)


def summary(html: str, section: str = "") -> dict[str, str]:
    if section:
        html = html[html.index(section) :]
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)<", html))


def test_the_section_shows_the_period_s_codes(reader, codes):  # noqa: F811
    html = reader.get(URL, PERIOD).content.decode()
    numbers = summary(html, 'id="zns-codes"')
    assert numbers["Codes requested"] == "6"
    assert numbers["Verified"] == "4"
    assert numbers["Conversion (verified / requested)"] == "66.7%"
    assert numbers["Delivered by Zalo"] == "4"
    assert numbers["Sent by SMS"] == "2"
    assert numbers["Share sent by SMS"] == "33.3%"
    assert numbers["Request to Zalo, median"] == "0.5 s"
    assert numbers["Request to Zalo, 95th percentile"] == "0.7 s"
    assert numbers["Cost of the codes"] == "2,800 VND"  # 4 x 300 by Zalo, 2 x 800 by SMS
    table = html[html.index('id="zns-codes-table"') :]
    rows = re.findall(r'<tr(?: class="zns-total")?><th scope="row">([^<]+)</th>', table)
    assert rows[:3] == ["Log in", "Sign up", "Total"]  # most codes first
    assert "1,200 VND" in table and "1,600 VND" in table


def test_the_order_figures_leave_the_codes_out_and_say_what_they_cost(reader, codes):  # noqa: F811
    html = reader.get(URL, PERIOD).content.decode()
    numbers = summary(html[: html.index('id="zns-codes"')])
    assert numbers["Messages"] == "2" and numbers["ZNS cost"] == "400 VND"
    assert numbers["Total cost"] == "400 VND"
    assert "one-time codes: 2,800 VND more" in html
    top = html[html.index("<h2>Top templates</h2>") : html.index("<h2>Day by day</h2>")]
    assert "300001" in top and "500001" not in top  # the codes' template is left out


def test_the_section_is_vietnamese_with_the_page(reader, codes):  # noqa: F811
    html = reader.get(URL, PERIOD, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    numbers = summary(html, 'id="zns-codes"')
    assert numbers["Số mã được yêu cầu"] == "6"
    assert numbers["Tỉ lệ chuyển đổi (đã xác minh / đã yêu cầu)"] == "66,7 %"
    assert numbers["Yêu cầu đến Zalo, trung vị"] == "0,5 giây"
    assert numbers["Chi phí của mã"] == "2.800 ₫"
    assert "Mã dùng một lần" in html


def test_the_section_follows_the_period(reader, codes):  # noqa: F811
    html = reader.get(URL, {"start": YESTERDAY.isoformat(), "end": YESTERDAY.isoformat()})
    assert summary(html.content.decode(), 'id="zns-codes"')["Codes requested"] == "3"
    later = YESTERDAY + dt.timedelta(days=1)
    html = reader.get(URL, {"start": later.isoformat(), "end": later.isoformat()})
    assert 'id="zns-codes"' not in html.content.decode()  # a period without codes


def test_a_period_without_codes_has_no_section_nor_note(reader):  # noqa: F811
    MessageFactory(created_at=at(YESTERDAY), status="delivered")
    rollup.compute_day(YESTERDAY, NOW)
    html = reader.get(URL, PERIOD).content.decode()
    assert 'id="zns-codes"' not in html and "one-time codes:" not in html


def test_the_csv_ends_with_the_codes_by_day_and_purpose(reader, codes):  # noqa: F811
    response = reader.get(URL, {**PERIOD, "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    start = rows.index(next(row for row in rows if row[:2] == ["Day", "Purpose"]))
    header, *lines = rows[start:]
    assert header[2:6] == ["Codes requested", "Delivered by Zalo", "Sent by SMS", "Verified"]
    first = lines[0]
    assert first[:9] == [
        BEFORE.isoformat(),
        "login",
        "2",
        "2",
        "0",
        "1",
        "0.5000",
        "0.0000",
        "0.50",
    ]
    assert float(first[9]) == pytest.approx(0.725, abs=0.01)
    assert first[10:] == ["600", "0"]
    assert len(lines) == 5 and lines[-1][:6] == ["Total", "", "6", "4", "2", "4"]
    # The earlier tables are where they were: the first is still the daily one.
    assert rows[0][:2] == ["Day", "Messages"]
