"""Zalo's ZNS Journey events through the webhook: billing acknowledged, a journey timed
out, in each payload shape zns-api.md leaves open, stored once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from tests.receipts.test_webhook_events import deliver_event
from zns_notify.models import Journey, WebhookEvent

pytestmark = pytest.mark.django_db

ZALO_ID = "1234567890123456789"
PHONE = "84912345678"
AT_MS = 1_800_000_000_000
AT = dt.datetime.fromtimestamp(AT_MS / 1000, tz=dt.UTC)


@pytest.fixture(autouse=True)
def shortly_after_the_events(time_machine):
    time_machine.move_to(AT + dt.timedelta(minutes=1))


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def journey():
    return Journey.objects.create(
        order_type="shop.order",
        order_pk="1",
        phone=PHONE,
        token_type="token_logistics_7",
        state=Journey.State.ACTIVE,
        token="journey-token",
        journey_id=ZALO_ID,
        issued_at=timezone.now(),
    )


def ids(**extra):
    return {"journey_id": ZALO_ID, "token_type": "token_logistics_7", "phone": PHONE, **extra}


SHAPES = {
    "flat": ids(),
    "nested under journey": {"journey": ids()},
    "nested under data": {"data": ids()},
    "nested under message": {"message": ids()},
    "camelCase": {"journeyId": ZALO_ID, "tokenType": "token_logistics_7", "phone": PHONE},
}


def post(client, name: str, fields: dict, at_ms: int = AT_MS):
    return deliver_event(client, {"event_name": name, **fields}, at_ms=at_ms)


@pytest.mark.parametrize("shape", SHAPES)
def test_acknowledged_bills_the_journey_whatever_the_payload_shape(client, journey, shape):
    answer = post(client, "event_journey_acknowledged", SHAPES[shape])

    assert answer.json()["outcome"] == "applied"
    journey.refresh_from_db()
    assert journey.acknowledged_at == AT
    # No send of ours recorded the first message (its answer was lost): Zalo's word bills it.
    assert journey.first_sent_at == AT and journey.price == Decimal(180)


def test_acknowledged_keeps_the_first_send_already_recorded(client, journey):
    sent_at = AT - dt.timedelta(seconds=3)
    Journey.objects.filter(pk=journey.pk).update(first_sent_at=sent_at, price=Decimal(150))

    post(client, "event_journey_acknowledged", ids())

    journey.refresh_from_db()
    assert (journey.first_sent_at, journey.price, journey.acknowledged_at) == (
        sent_at,
        Decimal(150),
        AT,
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_time_out_ends_the_journey(client, journey, shape):
    assert post(client, "event_journey_time_out", SHAPES[shape]).json()["outcome"] == "applied"

    journey.refresh_from_db()
    assert (journey.state, journey.end_reason, journey.ended_at) == ("expired", "time_out", AT)


def test_a_time_out_after_the_journey_ended_changes_nothing(client, journey):
    Journey.objects.filter(pk=journey.pk).update(state="expired", end_reason="-150")

    assert post(client, "event_journey_time_out", ids()).json()["outcome"] == "stale"

    journey.refresh_from_db()
    assert journey.end_reason == "-150"


def test_an_event_stored_once_whatever_its_redeliveries(client, journey):
    post(client, "event_journey_acknowledged", ids())
    post(client, "event_journey_acknowledged", ids(), at_ms=AT_MS + 60_000)  # a retry

    assert WebhookEvent.objects.filter(event_name="event_journey_acknowledged").count() == 1
    journey.refresh_from_db()
    assert journey.acknowledged_at == AT


@pytest.mark.parametrize(
    "fields",
    [ids(journey_id="999"), ids(phone="84933334444"), {"token_type": "token_logistics_7"}],
    ids=["unknown id", "another phone", "no id"],
)
def test_an_event_about_no_journey_of_ours_is_ignored(client, journey, fields):
    assert post(client, "event_journey_time_out", fields).json()["outcome"] == "ignored"

    journey.refresh_from_db()
    assert journey.state == Journey.State.ACTIVE
