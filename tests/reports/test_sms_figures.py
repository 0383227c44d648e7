"""Cost per channel: the rollup's SMS figures (SMS sent, segments, cost, double-cost count
per day, template and event, from the fallback steps), the open-day rule for steps still
to be sent, and the reports page's summary, daily table, top templates, chart and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import MessageFactory, TemplateFactory
from tests.reports.test_report_page import staff
from tests.reports.test_rollup import NOW, TODAY, at
from zns_notify.models import DailyCount, FallbackStep, ReportDay
from zns_notify.reports import rollup

pytestmark = pytest.mark.django_db
URL = reverse("admin:zns_notify_reportday_changelist")


def fell_back(
    created: dt.datetime,
    status: str = "sent",
    *,
    template,
    event="order_created",
    segments=1,
    cost="850",
    double_cost=False,
    message_status="failed",
):
    message = MessageFactory(
        template=template, event=event, created_at=created, status=message_status
    )
    sent = status == "sent"
    return FallbackStep.objects.create(
        message=message,
        reference=f"{message.idempotency_key}-sms",
        status=status,
        reason=FallbackStep.Reason.IMMEDIATE,
        due_at=created,
        created_at=created,
        sent_at=created if sent else None,
        segments=segments if sent else 0,
        cost=Decimal(cost) if sent else None,
        double_cost=double_cost,
    )


def sms_rows(day):
    return {
        (r.template_id, r.event, r.status): (r.messages, r.segments, r.cost, r.double_cost)
        for r in DailyCount.objects.filter(day=day, channel="sms")
    }


def test_the_rollup_counts_sms_by_template_event_and_status_on_the_messages_day():
    card = TemplateFactory(template_id="300001", price=Decimal("300"))
    day = TODAY - dt.timedelta(days=1)
    fell_back(at(day), template=card, segments=2, cost="1700")
    fell_back(
        at(day, 10),
        template=card,
        segments=1,
        cost="850",
        double_cost=True,
        message_status="delivered",
    )
    fell_back(at(day, 11), "cancelled", template=card, message_status="delivered")
    fell_back(at(day, 12), "failed", template=card, event="order_paid")
    # Sent after midnight, but its message is yesterday's: it counts for yesterday.
    late = fell_back(at(day, 23, 50), template=card, segments=3, cost="2550")
    FallbackStep.objects.filter(pk=late.pk).update(sent_at=at(TODAY, 0, 10))
    MessageFactory(template=card, created_at=at(day), status="delivered")  # no step

    rollup.compute_day(day, NOW)

    assert sms_rows(day) == {
        ("300001", "order_created", "sent"): (3, 6, Decimal("5100"), 1),
        ("300001", "order_created", "cancelled"): (1, 0, Decimal("0"), 0),
        ("300001", "order_paid", "failed"): (1, 0, Decimal("0"), 0),
    }
    # The ZNS rows are untouched by the SMS ones: five messages, as before.
    zns = DailyCount.objects.filter(day=day, channel="zns")
    assert sum(r.messages for r in zns) == 6
    assert ReportDay.objects.get(day=day).open_messages == 0


def test_a_recompute_replaces_the_sms_rows():
    card = TemplateFactory(template_id="300001")
    day = TODAY - dt.timedelta(days=1)
    step = fell_back(at(day), template=card)
    rollup.compute_day(day, NOW)
    FallbackStep.objects.filter(pk=step.pk).update(double_cost=True)
    rollup.compute_day(day, NOW)
    assert sms_rows(day) == {("300001", "order_created", "sent"): (1, 1, Decimal("850"), 1)}


def test_a_day_stays_open_while_its_steps_are_scheduled_or_sending():
    card = TemplateFactory(template_id="300001")
    day = TODAY - dt.timedelta(days=3)
    step = fell_back(at(day), "scheduled", template=card)
    other = fell_back(at(day, 10), "sending", template=card)
    assert rollup.compute_day(day, NOW).open_messages == 2
    # Found again by the next refresh, though the day is older than the last refresh.
    assert day in rollup.open_days_in_log(TODAY - dt.timedelta(days=7))
    assert day in rollup.days_to_refresh(NOW, NOW - dt.timedelta(minutes=5))
    FallbackStep.objects.filter(pk__in=[step.pk, other.pk]).update(
        status="sent", segments=1, cost=Decimal("850")
    )
    assert rollup.compute_day(day, NOW).open_messages == 0
    assert day not in rollup.open_days_in_log(TODAY - dt.timedelta(days=7))
    assert sms_rows(day)[("300001", "order_created", "sent")][:2] == (2, 2)


# -- the page --------------------------------------------------------------------------------


@pytest.fixture
def reader(client):
    client.force_login(staff("view_reports"))
    return client


@pytest.fixture
def channels():
    card = TemplateFactory(template_id="320001", name="Đã giao", price=Decimal("300"))
    now = timezone.now()
    for back in range(3):
        created = now - dt.timedelta(days=back)
        MessageFactory(
            template=card,
            created_at=created,
            status="delivered",
            sent_at=created,
            delivered_at=created,
        )
        fell_back(created, template=card, segments=2, cost="1700")
    fell_back(now, template=card, cost="850", double_cost=True, message_status="delivered")
    rollup.refresh_reports()
    return card


def summary(html: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))


def test_the_page_shows_cost_per_channel(reader, channels):
    html = reader.get(URL).content.decode()
    figures = summary(html)
    # ZNS: 3 delivered without a step + 1 delivered after its SMS = 4 × 300.
    assert figures["ZNS cost"] == "1,200 VND"
    assert figures["SMS cost"] == "5,950 VND"  # 3 × 1,700 + 850
    assert figures["Total cost"] == "7,150 VND"
    assert figures["SMS fallbacks sent"] == "4" and figures["Double-cost messages"] == "1"
    assert 'id="zns-cost-chart"' in html and "Cost per channel per day" in html
    total = re.search(r'<tr class="zns-total">(.*?)</tr>', html).group(1)
    assert "5,950 VND" in total and "7,150 VND" in total
    top = re.search(r"Top templates.*?<tbody>(.*?)</tbody>", html, re.S).group(1)
    assert "320001" in top and "5,950 VND" in top and "7,150 VND" in top


def test_without_sms_there_is_no_cost_chart(reader):
    card = TemplateFactory(template_id="320002", price=Decimal("300"))
    MessageFactory(template=card, status="delivered", delivered_at=timezone.now())
    rollup.refresh_reports()
    html = reader.get(URL).content.decode()
    assert 'id="zns-cost-chart"' not in html and summary(html)["SMS cost"] == "0 VND"


def test_the_csv_has_the_sms_columns(reader, channels):
    response = reader.get(URL, {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, total = rows[0], rows[8]
    assert header[-5:] == [
        "SMS sent",
        "SMS segments",
        "SMS cost (VND)",
        "Double-cost messages",
        "Total cost (VND)",
    ]
    assert total[0] == "Total" and total[-5:] == ["4", "7", "5950", "1", "7150"]
    assert ["320001", "Đã giao", "7", "4", "1.0000", "1200", "4", "5950", "7150"] in rows


def test_a_template_filter_narrows_the_sms_figures(reader, channels):
    assert reader.get(URL, {"template": "310009"}).status_code == 400  # not a known template
    html = reader.get(URL, {"event": "order_paid"}).content.decode()
    assert summary(html)["SMS cost"] == "0 VND"
