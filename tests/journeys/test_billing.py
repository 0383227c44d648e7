"""When a journey is billed, over HTTP against the sandbox: its first accepted message,
Zalo's acknowledged event posted to the live webhook, and its time-out event."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.conftest import wait_until
from tests.journeys.conftest import DELIVERED, SHIPPED, journey_message, live_journey
from zns_notify.models import Journey, Message, WebhookEvent
from zns_notify.sending.send import deliver

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_first_accepted_message_bills_the_journey_at_the_price_then(zalo, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "JOURNEY_TOKEN_PRICE": "200"}
    first = journey_message(SHIPPED)
    deliver(first.idempotency_key)
    journey = live_journey()
    first.refresh_from_db()
    assert journey.first_sent_at == first.sent_at and journey.price == Decimal(200)

    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "JOURNEY_TOKEN_PRICE": "250"}
    deliver(journey_message(DELIVERED).idempotency_key)

    again = Journey.objects.get(pk=journey.pk)
    assert (again.first_sent_at, again.price) == (first.sent_at, Decimal(200))
    assert zalo.journeys()["journeys"][0]["billed_ms"] is not None


def test_a_message_zalo_refuses_does_not_bill_its_journey(zalo):
    message = journey_message()
    zalo.knob("faults", error_codes_by_template={message.zalo_template_id: -118})

    deliver(message.idempotency_key)

    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and message.journey is None
    journey = live_journey()
    assert journey.first_sent_at is None and journey.price is None


def test_zalos_acknowledged_and_time_out_events_are_applied(hooked_zalo):
    deliver(journey_message().idempotency_key)
    journey = live_journey()

    acknowledged = wait_until(lambda: Journey.objects.get(pk=journey.pk).acknowledged_at)
    assert acknowledged is not None
    hooked_zalo.expire(journey.journey_id)
    wait_until(lambda: Journey.objects.get(pk=journey.pk).state == Journey.State.EXPIRED)

    journey.refresh_from_db()
    assert (journey.state, journey.end_reason) == (Journey.State.EXPIRED, "time_out")
    outcomes = dict(WebhookEvent.objects.values_list("event_name", "outcome"))
    assert outcomes == {
        "event_journey_acknowledged": WebhookEvent.Outcome.APPLIED,
        "event_journey_time_out": WebhookEvent.Outcome.APPLIED,
    }
