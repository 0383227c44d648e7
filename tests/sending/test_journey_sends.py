"""The worker's run with journey messages, over HTTP against the sandbox: what the
message records of its journey, and when."""

from __future__ import annotations

import pytest

from tests.journeys.conftest import SHIPPED, journey_message, live_journey, running_sandbox
from zns_notify.models import Message, MessageEvent
from zns_notify.sending.send import deliver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def zalo(settings, transactional_db):
    yield from running_sandbox(settings)


def test_the_timeline_keeps_the_send_but_never_the_journey_token(zalo):
    message = journey_message(SHIPPED)

    deliver(message.idempotency_key)

    journey = live_journey()
    [attempt] = MessageEvent.objects.filter(message=message, kind=MessageEvent.Kind.ATTEMPT)
    assert attempt.payload["request"]["path"] == "/message/template"
    assert journey.token not in str(attempt.payload)


def test_a_send_that_fails_records_no_journey_and_its_retry_goes_under_the_same(zalo):
    message = journey_message(SHIPPED)
    zalo.knob("faults", error_codes_by_template={SHIPPED: -100})  # Zalo's transient error

    deliver(message.idempotency_key)

    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED and message.journey is None
    journey = live_journey()
    zalo.knob("faults", error_codes_by_template={})
    Message.objects.filter(pk=message.pk).update(next_attempt_at=None)

    deliver(message.idempotency_key)

    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.journey == journey
    assert zalo.get_token_requests() == 1
