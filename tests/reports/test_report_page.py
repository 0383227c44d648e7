"""The reports page: who may open it, what it shows from the aggregates (never the message
table), its answers to bad filters, and the CSV of the same numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import MessageFactory, TemplateFactory
from tests.users import staff_user
from zns_notify.lib.clock import local_day
from zns_notify.reports import rollup
from zns_notify.reports.figures import median_from_buckets

pytestmark = pytest.mark.django_db
URL = "/admin/zns_notify/reportday/"


staff = staff_user


@pytest.fixture
def reader(client):
    client.force_login(staff("view_reports"))
    return client


@pytest.fixture
def week():
    """A week of messages of two templates, computed into the aggregates."""
    from django.utils import timezone

    card = TemplateFactory(template_id="310001", name="Đơn hàng đã giao", price=Decimal("300"))
    other = TemplateFactory(template_id="310002", name="Khảo sát", price=Decimal("200"))
    now = timezone.now()
    for back in range(7):
        created = now - dt.timedelta(days=back)
        for _ in range(back + 1):
            MessageFactory(
                template=card,
                created_at=created,
                status="delivered",
                sent_at=created,
                delivered_at=created + dt.timedelta(seconds=20),
            )
        MessageFactory(
            template=other,
            event="order_paid",
            created_at=created,
            status="failed",
            error_category="recipient",
            error_code=-118,
        )
    MessageFactory(
        template=other,
        event="order_paid",
        created_at=now,
        status="delivered",
        sent_at=now,
        delivered_at=now + dt.timedelta(seconds=20),
    )
    rollup.refresh_reports()
    return card, other


def test_the_page_is_in_the_app_index_for_those_who_may_read_reports(reader):
    html = reader.get("/admin/zns_notify/").content.decode()
    assert f'href="{URL}"' in html and "Delivery reports" in html


@pytest.mark.parametrize("codenames", [(), ("view_message",)])
def test_staff_without_the_permission_cannot_open_it(client, codenames):
    client.force_login(staff(*codenames))
    assert client.get(URL).status_code == 403
    assert client.get(URL + "?format=csv").status_code == 403
    assert URL not in client.get("/admin/").content.decode()


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_default_week_shows_charts_tables_and_totals(reader, week):
    response = reader.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<svg class="zns-chart"') == 3  # bars, rate line, failure reasons
    assert 'role="img"' in html and "<title id=" in html
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>', html)
    today = local_day()
    assert rows[0] == (today - dt.timedelta(days=6)).isoformat()
    assert rows[-1] == today.isoformat()
    assert '<tr class="zns-total"><th scope="row">Total</th><td class="num">36</td>' in html
    summary = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert summary["Messages"] == "36"  # 28 delivered + 7 failed + 1 delivered
    assert summary["Delivered"] == "29"
    assert summary["Delivery rate"] == "100.0%"  # failed ones were never accepted
    assert summary["ZNS cost"] == "8,600 VND"  # 28 × 300 + 1 × 200
    assert summary["SMS cost"] == "0 VND" and summary["Total cost"] == "8,600 VND"
    # All 29 in the 10–30 s bucket: its middle, by linear interpolation.
    assert summary["Median time to delivery"] == "20 s"
    assert "Recipient · -118 Zalo account not existed" in html
    assert "Figures last refreshed" in html


def test_undelivered_messages_are_named_in_the_failure_reasons(reader):
    from django.utils import timezone

    MessageFactory(created_at=timezone.now(), status="undelivered", sent_at=timezone.now())
    rollup.refresh_reports()
    html = reader.get(URL).content.decode()
    assert "undelivered: no delivery receipt</text>" in html


def test_the_page_reads_the_aggregates_not_the_message_table(reader, week):
    with CaptureQueriesContext(connection) as queries:
        reader.get(URL + "?start=2026-01-01&end=2026-12-31")
    assert not [q["sql"] for q in queries if "zns_notify_message" in q["sql"]]


def test_filters_narrow_every_figure(reader, week):
    _card, other = week
    html = reader.get(URL, {"template": other.template_id}).content.decode()
    summary = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert (summary["Messages"], summary["ZNS cost"]) == ("8", "200 VND")
    html = reader.get(URL, {"event": "order_created"}).content.decode()
    assert dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))["Messages"] == "28"
    assert "No failed or undelivered message in this period." in html


def test_a_range_in_vietnamese_formats(reader, week):
    html = reader.get(URL, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    summary = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert summary["Chi phí ZNS"] == "8.600 ₫"
    assert summary["Tỉ lệ nhận được"] == "100,0 %"
    assert local_day().strftime("%d/%m/%Y") in html


@pytest.mark.parametrize(
    "query,message",
    [
        ({"start": "2026-02-30"}, "Enter the start date as dd/mm/yyyy or yyyy-mm-dd."),
        ({"end": "yesterday"}, "Enter the end date as dd/mm/yyyy or yyyy-mm-dd."),
        (
            {"start": "2026-11-10", "end": "2026-11-01"},
            "The end date (2026-11-01) is before the start date (2026-11-10).",
        ),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "The range is 2193 days long; at most 366"),
        ({"end": "0001-01-02"}, "Enter dates between 2000-01-01 and 2999-12-31."),
        ({"start": "9999-12-30", "end": "9999-12-31"}, "Enter dates between"),
        ({"template": "999999"}, "Unknown template: 999999."),
        ({"event": "order_teleported"}, "Unknown event: order_teleported."),
    ],
)
def test_bad_filters_get_a_clear_message(reader, week, query, message):
    response = reader.get(URL, query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert '<svg class="zns-chart"' not in response.content.decode()
    csv_response = reader.get(URL, {**query, "format": "csv"})
    assert csv_response.status_code == 400 and message in csv_response.content.decode()


def test_dates_may_be_typed_the_vietnamese_way(reader, week):
    today = local_day()
    start = today - dt.timedelta(days=1)
    html = reader.get(
        URL, {"start": start.strftime("%d/%m/%Y"), "end": today.strftime("%d/%m/%Y")}
    ).content.decode()
    assert len(re.findall(r'<tr><th scope="row">', html)) == 2


def test_the_range_limit_is_a_setting(reader, week, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "REPORTS_MAX_DAYS": 3}
    assert reader.get(URL).status_code == 400  # the default week is now too long
    assert reader.get(URL, {"start": str(local_day() - dt.timedelta(days=2))}).status_code == 200


def test_the_csv_has_the_same_numbers(reader, week):
    response = reader.get(URL, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    total = rows[8]
    assert total[0] == "Total"
    assert total[header.index("Messages")] == "36" and total[header.index("Delivered")] == "29"
    assert total[header.index("Cost (VND)")] == "8600"
    assert rows[1][0] == (local_day() - dt.timedelta(days=6)).isoformat()
    assert ["failed", "recipient", "-118", "7"] in rows
    assert ["310001", "Đơn hàng đã giao", "28", "28", "1.0000", "8400", "0", "0", "8400"] in rows


def test_a_page_before_any_refresh_says_so(reader):
    html = reader.get(URL).content.decode()
    assert "have not been computed yet" in html
    assert "7 days of this period have no figures yet." in html


def test_the_page_runs_the_same_few_queries_whatever_the_range(reader, week):
    with CaptureQueriesContext(connection) as week_queries:
        reader.get(URL)
    with CaptureQueriesContext(connection) as year_queries:
        reader.get(URL, {"start": str(local_day() - dt.timedelta(days=365))})
    # 15 for the message figures and the admin's own, 1 for the one-time codes, 1 for the
    # journeys (none here: their templates' names are not read).
    assert len(week_queries) == len(year_queries) <= 17


@pytest.mark.parametrize(
    "buckets,median",
    [
        ([], None),
        ([0] * 13, None),
        ([2, 0, 0] + [0] * 10, 2.5),  # both in [0, 5): the middle of the bucket
        ([1, 1, 1] + [0] * 10, 7.5),  # the middle one in [5, 10)
        ([0] * 12 + [4], 86400.0),  # the open last bucket: its lower bound
    ],
)
def test_the_median_is_read_from_the_buckets(buckets, median):
    assert median_from_buckets(buckets) == median


def test_days_to_come_are_not_called_missing(reader, week):
    end = local_day() + dt.timedelta(days=5)
    html = reader.get(
        URL, {"start": str(local_day() - dt.timedelta(days=1)), "end": str(end)}
    ).content.decode()
    assert "have no figures yet" not in html and "has no figures yet" not in html
    assert len(re.findall(r'<tr><th scope="row">', html)) == 7


def test_the_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas(reader):
    """A template's name comes from Zalo (typed by whoever created the template): a name
    starting with = + - @ (or a tab or carriage return) would run as a formula in Excel or
    Google Sheets. It is written as text; numbers, negative Zalo codes included, stay numbers."""
    from django.utils import timezone

    now = timezone.now()
    names = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab"]
    for index, name in enumerate(names):
        template = TemplateFactory(template_id=f"32000{index}", name=name)
        MessageFactory(
            template=template,
            created_at=now,
            status="failed",
            error_category="recipient",
            error_code=-118,
        )
    rollup.refresh_reports()

    response = reader.get(URL, {"format": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    written = {row[1] for row in rows if len(row) > 1 and row[0].startswith("32000")}
    assert written == {"'" + name for name in names}
    assert ["failed", "recipient", "-118", "5"] in rows


def test_test_messages_are_counted_apart_and_cost_nothing(reader, week):
    from django.utils import timezone

    card, _other = week
    now = timezone.now()
    for _ in range(2):
        MessageFactory(
            template=card,
            created_at=now,
            status="delivered",
            sent_at=now,
            delivered_at=now + dt.timedelta(seconds=20),
            development_mode=True,
        )
    rollup.refresh_reports()

    html = reader.get(URL).content.decode()
    assert "2 test messages not charged" in html
    rows = list(
        csv.reader(io.StringIO(reader.get(URL, {"format": "csv"}).content.decode("utf-8-sig")))
    )
    header, total = rows[0], rows[8]
    assert total[header.index("Messages")] == "38" and total[header.index("Delivered")] == "31"
    assert total[header.index("Cost (VND)")] == "8600"  # as before the two tests
    assert ["Test messages (development mode, not charged)", "2"] in rows


def test_the_last_refresh_is_told_in_the_shop_s_time_zone(reader, settings):
    from zoneinfo import ZoneInfo

    from zns_notify.models import ReportRefresh

    settings.TIME_ZONE = "UTC"
    at = dt.datetime(2026, 11, 22, 8, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    ReportRefresh.objects.create(pk=1, refreshed_at=at)
    assert "2026-11-22 08:30" in reader.get(URL).content.decode()


def test_names_from_zalo_and_labels_from_settings_are_escaped(reader, settings):
    from django.utils import timezone

    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "EVENTS": {
            **settings.ZNS_NOTIFY.get("EVENTS", {}),
            "order_created": '<img src=x onerror="alert(2)">',
        },
    }
    hostile = TemplateFactory(template_id="330001", name="<script>alert(1)</script>")
    now = timezone.now()
    MessageFactory(template=hostile, created_at=now, status="failed", error_category="<b>x</b>")
    rollup.refresh_reports()
    html = reader.get(URL).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
    assert '<img src=x onerror="alert(2)">' not in html
    assert "<b>x</b>" not in html
