"""Zalo's refusals of a journey token, over HTTP against the sandbox (docs/journeys.md,
rule 3): each one sends the message again at once, under a new token or as a normal send,
and none of them is ever the message's outcome."""

from __future__ import annotations

import pytest

from tests.journeys.conftest import (
    DELIVERED,
    NOT_DECLARED,
    OTHER_PHONE,
    SHIPPED,
    journey_message,
    live_journey,
)
from zns_notify.models import Journey, Message, MessageEvent
from zns_notify.sending.send import deliver

pytestmark = pytest.mark.django_db(transaction=True)


def sent(message: Message) -> Message:
    message.refresh_from_db()
    assert message.status == Message.Status.SENT, (message.error_code, message.error_message)
    assert message.error_code is None and message.attempts == 1
    return message


def journey_started(zalo) -> Journey:
    """The order's journey, started by its first message."""
    deliver(journey_message(SHIPPED).idempotency_key)
    return live_journey()


def test_an_expired_token_is_replaced_and_the_message_sent_under_the_new_one(zalo):
    old = journey_started(zalo)
    zalo.expire(old.journey_id)  # Zalo's side only: ours still thinks it lives
    message = journey_message(DELIVERED)

    deliver(message.idempotency_key)

    old.refresh_from_db()
    assert (old.state, old.end_reason) == (Journey.State.EXPIRED, "-150")
    new = live_journey()
    assert sent(message).journey == new != old and message.journey_fallback == ""
    assert [row["journey_id"] for row in zalo.sends()] == [old.journey_id, new.journey_id]


@pytest.mark.parametrize("code", [-148, -149])
def test_a_refused_token_is_replaced_and_the_message_sent_under_the_new_one(zalo, code):
    old = journey_started(zalo)
    # -148: a token Zalo never issued; -149: one issued for another phone.
    token = "not-a-token-zalo-knows" if code == -148 else zalo.issue(OTHER_PHONE)["token"]
    Journey.objects.filter(pk=old.pk).update(token=token)
    message = journey_message(DELIVERED)

    deliver(message.idempotency_key)

    old.refresh_from_db()
    assert (old.state, old.end_reason) == (Journey.State.REFUSED, str(code))
    assert sent(message).journey == live_journey() != old


def test_a_template_not_declared_for_the_type_goes_normally_and_the_journey_stays(zalo):
    journey = journey_started(zalo)
    message = journey_message(NOT_DECLARED)

    deliver(message.idempotency_key)

    message = sent(message)
    assert message.journey is None and message.journey_fallback == "incompatible"
    journey.refresh_from_db()
    assert journey.state == Journey.State.ACTIVE
    later = journey_message(DELIVERED)
    deliver(later.idempotency_key)
    assert sent(later).journey == journey
    assert zalo.get_token_requests() == 1


def test_a_refusal_never_shows_as_a_failed_attempt(zalo):
    old = journey_started(zalo)
    zalo.expire(old.journey_id)
    message = journey_message(DELIVERED)

    deliver(message.idempotency_key)

    attempts = MessageEvent.objects.filter(message=message, kind=MessageEvent.Kind.ATTEMPT)
    assert [event.status for event in attempts] == [Message.Status.SENT]
