"""ZNS Journey in the reports' aggregates (zns_notify.reports.journeys): what the messages
sent under a journey cost (the token with the journey's first message, the per-message
price for each delivered one) against their one-by-one price, per day and template; the
saving; the report's existing cost figures priced the same way; and a closed day kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import TemplateFactory
from tests.journey_rows import billed_journey, journey_message
from tests.reports.test_rollup import NOW, TODAY, at, message
from zns_notify.models import DailyCount, DailyJourney
from zns_notify.reports import rollup
from zns_notify.reports.figures import build_report
from zns_notify.reports.journeys import journeys_report

pytestmark = pytest.mark.django_db
YESTERDAY = TODAY - dt.timedelta(days=1)


@pytest.fixture
def shipped():
    return TemplateFactory(template_id="100003", name="Đang giao", price=Decimal("300"))


@pytest.fixture
def delivered():
    return TemplateFactory(template_id="100004", name="Đã giao", price=Decimal("250"))


def journey_rows(day: dt.date) -> dict[str, tuple]:
    return {
        row.template_id: (
            row.messages,
            row.delivered,
            row.tokens,
            row.token_cost,
            row.message_cost,
            row.one_by_one_cost,
            row.outside,
        )
        for row in DailyJourney.objects.filter(day=day)
    }


def zns_cost(day: dt.date) -> Decimal:
    return sum((row.cost for row in DailyCount.objects.filter(day=day, channel="zns")), Decimal(0))


def test_a_journey_s_messages_cost_its_token_instead_of_their_prices(shipped, delivered):
    journey = billed_journey(at(YESTERDAY, 9))
    journey_message(at(YESTERDAY, 9), shipped, journey=journey)
    journey_message(at(YESTERDAY, 15), delivered, journey=journey, event="order_delivered")
    message(at(YESTERDAY), template=shipped)  # a normal send of the same template

    rollup.compute_day(YESTERDAY, NOW)

    assert journey_rows(YESTERDAY) == {
        # The token goes with the journey's first message: Zalo bills it then.
        "100003": (1, 1, 1, Decimal("180"), Decimal(0), Decimal("300"), 0),
        "100004": (1, 1, 0, Decimal(0), Decimal(0), Decimal("250"), 0),
    }
    # The existing cost figures: the normal send at its price, the journey at its token.
    assert zns_cost(YESTERDAY) == Decimal("300") + Decimal("180")
    costs = {(r.template_id, r.event): r.cost for r in DailyCount.objects.filter(day=YESTERDAY)}
    assert costs == {
        ("100003", "order_created"): Decimal("300"),
        ("100003", "order_shipped"): Decimal("180"),
        ("100004", "order_delivered"): Decimal(0),
    }
    # The one-by-one price stays the template's, kept for the day as before.
    assert {r.unit_price for r in DailyCount.objects.filter(day=YESTERDAY)} == {
        Decimal("300"),
        Decimal("250"),
    }

    report = journeys_report(YESTERDAY, YESTERDAY)
    assert (report.totals.cost, report.totals.one_by_one_cost) == (Decimal("180"), Decimal("550"))
    assert report.totals.saving == Decimal("370")
    assert [(t, name, f.saving) for t, name, f in report.templates] == [
        ("100003", "Đang giao", Decimal("120")),
        ("100004", "Đã giao", Decimal("250")),
    ]
    assert build_report(YESTERDAY, YESTERDAY).totals.cost == Decimal("480")


def test_a_journey_with_one_cheap_message_shows_a_negative_saving():
    cheap = TemplateFactory(template_id="100009", price=Decimal("150"))
    journey = billed_journey(at(YESTERDAY, 9))
    journey_message(at(YESTERDAY, 9), cheap, journey=journey)

    rollup.compute_day(YESTERDAY, NOW)

    totals = journeys_report(YESTERDAY, YESTERDAY).totals
    assert (totals.one_by_one_cost, totals.cost, totals.saving) == (
        Decimal("150"),
        Decimal("180"),
        Decimal("-30"),
    )
    assert zns_cost(YESTERDAY) == Decimal("180")


def test_without_journeys_the_figures_are_the_one_by_one_prices(shipped):
    for _ in range(2):
        message(at(YESTERDAY), template=shipped)
    # A journey binding's message sent as a normal send: its price, counted as outside.
    journey_message(at(YESTERDAY, 10), shipped, fallback="incompatible")

    rollup.compute_day(YESTERDAY, NOW)

    assert zns_cost(YESTERDAY) == Decimal("900")
    assert journey_rows(YESTERDAY) == {"100003": (0, 0, 0, Decimal(0), Decimal(0), Decimal(0), 1)}
    report = journeys_report(YESTERDAY, YESTERDAY)
    assert (report.totals.saving, report.totals.outside) == (Decimal(0), 1)


def test_the_per_message_price_counts_each_delivered_message_and_is_kept(
    settings, shipped, delivered
):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "JOURNEY_MESSAGE_PRICE": 20}
    journey = billed_journey(at(TODAY, 9))
    journey_message(at(TODAY, 9), shipped, journey=journey)
    journey_message(at(TODAY, 9, 30), delivered, journey=journey, status="sent")
    rollup.compute_day(TODAY, NOW)
    assert zns_cost(TODAY) == Decimal("200")  # the token and one delivered message

    # The second one is delivered; the setting changed meanwhile: the day keeps its price.
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "JOURNEY_MESSAGE_PRICE": 50}
    second = journey.messages.get(zalo_template_id="100004")
    second.status, second.delivered_at = "delivered", at(TODAY, 9, 31)
    second.save()
    rollup.compute_day(TODAY, NOW)

    totals = journeys_report(TODAY, TODAY).totals
    assert (totals.token_cost, totals.message_cost, totals.one_by_one_cost) == (
        Decimal("180"),
        Decimal("40"),
        Decimal("550"),
    )
    assert totals.saving == Decimal("330")
    assert zns_cost(TODAY) == Decimal("220")


def test_the_token_stays_with_the_day_of_the_journey_s_first_message(shipped, delivered):
    journey = billed_journey(at(YESTERDAY, 9))
    journey_message(at(YESTERDAY, 9), shipped, journey=journey)
    rollup.compute_day(YESTERDAY, NOW)
    before = journey_rows(YESTERDAY)

    journey_message(at(TODAY, 8), delivered, journey=journey, event="order_delivered")
    rollup.compute_day(YESTERDAY, NOW)
    rollup.compute_day(TODAY, NOW)

    assert journey_rows(YESTERDAY) == before
    assert journey_rows(TODAY) == {"100004": (1, 1, 0, Decimal(0), Decimal(0), Decimal("250"), 0)}
    days = journeys_report(YESTERDAY, TODAY).days
    assert [(day, figures.saving) for day, figures in days] == [
        (YESTERDAY, Decimal("120")),
        (TODAY, Decimal("250")),
    ]


def test_the_token_is_billed_with_the_first_accepted_message_whatever_became_of_it(
    shipped, delivered
):
    """The first message Zalo accepted under the journey (by its send, not its row's
    order) carries the token, even when no receipt came for it: Zalo billed the token on
    acceptance. An undelivered message costs nothing one by one."""
    journey = billed_journey(at(TODAY, 8), price="200")
    journey_message(at(TODAY, 9), delivered, journey=journey, event="order_delivered")
    journey_message(at(TODAY, 8), shipped, journey=journey, status="undelivered")

    rollup.compute_day(TODAY, NOW)

    rows = journey_rows(TODAY)
    assert rows["100003"] == (1, 0, 1, Decimal("200"), Decimal(0), Decimal(0), 0)
    assert rows["100004"][:3] == (1, 1, 0)
    assert journeys_report(TODAY, TODAY).totals.saving == Decimal("50")
    undelivered = DailyCount.objects.get(day=TODAY, status="undelivered")
    assert undelivered.cost == Decimal("200")


def test_a_journey_billed_without_a_recorded_price_counts_at_the_setting(settings, shipped):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "JOURNEY_TOKEN_PRICE": "175.5"}
    journey = billed_journey(at(TODAY, 9), price=None)
    journey_message(at(TODAY, 9), shipped, journey=journey)

    rollup.compute_day(TODAY, NOW)

    assert journeys_report(TODAY, TODAY).totals.token_cost == Decimal("175.5")


def test_test_messages_under_a_journey_cost_neither_one_by_one_nor_a_token(shipped):
    # Zalo bills no development-mode send: a journey of test messages is not billed.
    journey = billed_journey(at(TODAY, 9))
    journey_message(at(TODAY, 9), shipped, journey=journey, development_mode=True)
    journey_message(at(TODAY, 10), shipped, journey=journey, development_mode=True)

    rollup.compute_day(TODAY, NOW)

    assert journey_rows(TODAY)["100003"][:2] == (2, 0)
    assert zns_cost(TODAY) == Decimal("0")
    assert journeys_report(TODAY, TODAY).totals.tokens == 0


def test_a_journeys_token_counts_with_its_first_message_outside_development_mode(shipped):
    journey = billed_journey(at(TODAY, 9))
    journey_message(at(TODAY, 9), shipped, journey=journey, development_mode=True)
    journey_message(at(TODAY, 10), shipped, journey=journey)

    rollup.compute_day(TODAY, NOW)

    totals = journeys_report(TODAY, TODAY).totals
    assert (totals.tokens, totals.token_cost) == (1, Decimal("180"))
    assert zns_cost(TODAY) == Decimal("180")


def test_the_report_s_filters_apply_to_the_journeys(shipped, delivered):
    journey = billed_journey(at(TODAY, 9))
    journey_message(at(TODAY, 9), shipped, journey=journey)
    journey_message(at(TODAY, 10), delivered, journey=journey, event="order_delivered")
    rollup.compute_day(TODAY, NOW)

    only = journeys_report(TODAY, TODAY, template="100004")
    assert [t for t, _name, _f in only.templates] == ["100004"]
    assert journeys_report(TODAY, TODAY, event="order_shipped").totals.tokens == 1
    assert build_report(TODAY, TODAY, template="100004").journeys.totals.saving == Decimal("250")
