"""When a journey is billed, over HTTP against the sandbox: its first accepted message,
Zalo's acknowledged event posted to the live webhook, and its time-out event."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from tests.integration.conftest import wait_until
from tests.journeys.conftest import (
    DELIVERED,
    PHONE,
    SEVEN_DAYS,
    SHIPPED,
    journey_message,
    live_journey,
)
from zns_notify.journeys import billing
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


@pytest.mark.timed_waits  # the sandbox posts the events from its timed sender thread
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


def a_journey(order_pk: str = "1", journey_id: str = "") -> Journey:
    return Journey.objects.create(
        order_type="order",
        order_pk=order_pk,
        phone=PHONE,
        token_type=SEVEN_DAYS,
        state=Journey.State.ACTIVE,
        token=f"token-{order_pk}",
        journey_id=journey_id,
    )


def test_a_bill_rolled_back_with_its_batch_is_billed_when_recorded_again():
    journey, at = a_journey(), timezone.now()
    with pytest.raises(DatabaseError), transaction.atomic():  # the batch's transaction
        billing.first_accepted(journey, at)
        raise DatabaseError("a bad write of another outcome in the group")
    assert Journey.objects.get(pk=journey.pk).first_sent_at is None

    billing.first_accepted(journey, at)  # the outcome recorded again, one by one

    assert Journey.objects.get(pk=journey.pk).first_sent_at == at


def test_two_workers_billing_two_journeys_in_opposite_orders_both_bill():
    """Each worker's batch transaction bills the two journeys in its own order: on
    PostgreSQL, row locks held to the commit would deadlock them."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks between two connections: PostgreSQL (ZNS_TEST_DB=postgres)")
    first, second = a_journey("1"), a_journey("2")
    barrier, errors = threading.Barrier(2), []

    def worker(journeys):
        try:
            with transaction.atomic():
                billing.first_accepted(Journey.objects.get(pk=journeys[0].pk), timezone.now())
                barrier.wait(5)
                billing.first_accepted(Journey.objects.get(pk=journeys[1].pk), timezone.now())
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(order,))
        for order in ((first, second), (second, first))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert not errors
    assert Journey.objects.filter(first_sent_at__isnull=False).count() == 2


@pytest.mark.parametrize("phone", ["84912345678", "0912345678", "+84 912 345 678"])
def test_zalos_event_finds_the_journey_by_its_phone_in_any_form(phone):
    a_journey("1", journey_id="777")
    theirs = Journey.objects.create(
        order_type="order",
        order_pk="9",
        phone="84933334444",
        token_type=SEVEN_DAYS,
        journey_id="777",
    )  # Zalo repeating an id: the phone picks ours

    found = billing.find("777", phone)

    assert found is not None and found.phone == PHONE and found != theirs


def test_an_event_for_another_phone_is_not_ours():
    a_journey("1", journey_id="778")

    assert billing.find("778", "0999999999") is None
