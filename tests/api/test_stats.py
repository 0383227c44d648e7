"""GET /zns/api/stats/: counts per status and rates per Vietnam day or per template."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import MessageFactory, TemplateFactory
from zns_notify.models import DailyJourney, DailyOtp
from zns_notify.reports.codes import WIRE_BUCKETS

pytestmark = pytest.mark.django_db

URL = reverse("zns_notify:api_stats")
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=VN)


@pytest.fixture
def messages(db):
    first = TemplateFactory(template_id="100001", name="Xác nhận đơn hàng")
    second = TemplateFactory(template_id="100002", name="Thanh toán thành công")
    # 20 Nov: 3 delivered, 1 sent, 1 failed (template 1); 21 Nov 23:30 Hanoi is still the 21st.
    for status in ("delivered", "delivered", "delivered", "sent", "failed"):
        MessageFactory(template=first, status=status, created_at=at(20, 10))
    MessageFactory(template=second, status="undelivered", created_at=at(21, 23))
    MessageFactory(template=second, status="skipped", created_at=at(21, 23))
    MessageFactory(template=second, status="queued", created_at=at(23, 1))  # outside


def test_per_day_counts_and_rates(as_user, reader, messages):
    response = as_user(reader).get(URL, {"from": "2026-11-20", "to": "2026-11-22"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["from"], body["to"], body["group"], body["timezone"]) == (
        "2026-11-20",
        "2026-11-22",
        "day",
        "Asia/Ho_Chi_Minh",
    )
    days = {g["day"]: g for g in body["groups"]}
    assert list(days) == ["2026-11-20", "2026-11-21", "2026-11-22"]  # empty days too
    day20 = days["2026-11-20"]
    assert day20["total"] == 5 and day20["accepted"] == 4
    assert day20["counts"]["delivered"] == 3 and day20["counts"]["queued"] == 0
    assert day20["delivered_rate"] == 0.75 and day20["failed_rate"] == 0.2
    day21 = days["2026-11-21"]
    assert (day21["total"], day21["accepted"], day21["delivered_rate"]) == (2, 1, 0.0)
    assert days["2026-11-22"]["total"] == 0
    assert days["2026-11-22"]["delivered_rate"] is None
    assert days["2026-11-22"]["failed_rate"] is None
    assert body["totals"]["total"] == 7 and body["totals"]["counts"]["skipped"] == 1


def test_vietnam_days_not_utc_days(as_user, reader):
    # 06:30 on the 21st in Hanoi is 23:30 UTC on the 20th.
    MessageFactory(created_at=dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC))
    body = as_user(reader).get(URL, {"from": "2026-11-20", "to": "2026-11-21"}).json()
    assert [g["total"] for g in body["groups"]] == [0, 1]


def test_per_template(as_user, reader, messages):
    body = (
        as_user(reader)
        .get(URL, {"from": "2026-11-20", "to": "2026-11-22", "group": "template"})
        .json()
    )
    groups = {g["template"]: g for g in body["groups"]}
    assert list(groups) == ["100001", "100002"]
    assert groups["100001"]["name"] == "Xác nhận đơn hàng"
    assert groups["100001"]["total"] == 5 and groups["100001"]["delivered_rate"] == 0.75
    assert groups["100002"]["counts"]["undelivered"] == 1 and groups["100002"]["total"] == 2


def test_default_range_is_the_last_seven_days(as_user, reader):
    body = as_user(reader).get(URL).json()
    assert len(body["groups"]) == 7 and body["groups"][-1]["day"] == body["to"]


def test_default_range_ends_today_in_vietnam_on_django_s_clock(as_user, reader, monkeypatch):
    """19:30 UTC on 31 December is 02:30 on 1 January in Hanoi: the range ends on the
    Vietnamese day, read from Django's clock (timezone.now), the one clock tests set."""
    moment = dt.datetime(2027, 12, 31, 19, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    body = as_user(reader).get(URL).json()
    assert (body["from"], body["to"]) == ("2027-12-26", "2028-01-01")


@pytest.mark.parametrize(
    "query,field",
    [
        ({"from": "2026-11-22", "to": "2026-11-20"}, "from"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "from"),
        ({"from": "22/11/2026"}, "from"),
        ({"group": "week"}, "group"),
        ({"since": "2026-11-01"}, "since"),
    ],
)
def test_bad_queries_are_400s(as_user, reader, query, field):
    response = as_user(reader).get(URL, query)
    assert response.status_code == 400
    assert field in response.json()


def test_stats_need_the_message_view_permission(as_user, make_user, api):
    assert api.get(URL).status_code == 401
    assert as_user(make_user("view_template")).get(URL).status_code == 403


def test_stats_cost_two_queries_beside_the_permission_check(
    as_user, reader, messages, django_assert_max_num_queries
):
    client = as_user(reader)
    # user and group permissions, counts, names, the one-time codes' and the journeys'
    # aggregates
    with django_assert_max_num_queries(2 + 4):
        client.get(URL, {"group": "template", "from": "2026-11-01", "to": "2026-11-30"})


def test_one_time_codes_are_reported_apart_from_the_message_counts(as_user, reader, messages):
    """A code's message (event otp:<purpose>) is not in the message counts; the codes are
    in "otp", read from the reports' daily aggregates (a deleted request does not change
    them), for the same days, without their cost (the reports' permission shows that)."""
    otp = TemplateFactory(template_id="500001")
    MessageFactory(template=otp, event="otp:login", status="delivered", created_at=at(20, 11))
    buckets = [0] * (len(WIRE_BUCKETS) + 1)
    buckets[1], buckets[2] = 2, 2  # 2 codes in [0.25 s, 0.5 s), 2 in [0.5 s, 0.75 s)
    DailyOtp.objects.create(
        day=dt.date(2026, 11, 20),
        purpose="login",
        requested=4,
        zns_delivered=3,
        sms_sent=1,
        verified=3,
        sms_cost=Decimal("800"),
        wire_buckets=buckets,
    )
    DailyOtp.objects.create(day=dt.date(2026, 11, 21), purpose="sign_up", requested=2, verified=1)
    DailyOtp.objects.create(day=dt.date(2026, 11, 23), purpose="login", requested=9)  # outside

    body = as_user(reader).get(URL, {"from": "2026-11-20", "to": "2026-11-22"}).json()

    assert body["totals"]["total"] == 7 and body["groups"][0]["total"] == 5
    codes = body["otp"]
    assert {k: codes[k] for k in ("requested", "zns_delivered", "sms_sent", "verified")} == {
        "requested": 6,
        "zns_delivered": 3,
        "sms_sent": 1,
        "verified": 4,
    }
    assert (codes["conversion"], codes["sms_share"]) == (0.6667, 0.1667)
    assert (codes["wire_p50_seconds"], codes["wire_p95_seconds"]) == (0.5, 0.725)
    assert [p["purpose"] for p in codes["purposes"]] == ["login", "sign_up"]
    assert codes["purposes"][1]["conversion"] == 0.5
    assert codes["purposes"][1]["wire_p50_seconds"] is None
    assert "cost" not in str(body)


def test_a_period_without_codes_has_empty_code_figures(as_user, reader, messages):
    body = as_user(reader).get(URL, {"from": "2026-11-20", "to": "2026-11-22"}).json()
    assert body["otp"]["requested"] == 0 and body["otp"]["purposes"] == []
    assert body["otp"]["conversion"] is None and body["otp"]["wire_p95_seconds"] is None


def test_journey_messages_are_reported_from_the_aggregates_without_their_cost(
    as_user, reader, messages
):
    DailyJourney.objects.create(
        day=dt.date(2026, 11, 20),
        template_id="100003",
        event="order_shipped",
        messages=3,
        delivered=2,
        tokens=2,
        token_cost=Decimal("360"),
        one_by_one_cost=Decimal("600"),
        outside=1,
    )
    body = as_user(reader).get(URL, {"from": "2026-11-20", "to": "2026-11-20"}).json()
    assert body["journeys"] == {"messages": 3, "delivered": 2, "billed": 2, "outside": 1}
    later = as_user(reader).get(URL, {"from": "2026-11-21", "to": "2026-11-21"}).json()
    assert later["journeys"] == {"messages": 0, "delivered": 0, "billed": 0, "outside": 0}
