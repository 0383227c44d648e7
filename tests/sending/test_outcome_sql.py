"""The compiled "mark sent" UPDATE does exactly what the ORM's update would, on SQLite and
PostgreSQL, and only for the worker whose claim the row still is."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from tests.factories import MessageFactory
from zns_notify.models import Journey, Message
from zns_notify.sending.outcome_sql import mark_sent

pytestmark = pytest.mark.django_db

SENDING = dict(
    status=Message.Status.SENDING,
    attempts=2,
    error_code=-100,
    error_category="retry",
    error_message="earlier try",
    next_attempt_at=None,
)
COMPARED = (
    "status",
    "msg_id",
    "sent_at",
    "error_code",
    "error_category",
    "error_message",
    "next_attempt_at",
    "attempts",
    "claimed_at",
    "delivered_at",
    "journey",
    "journey_fallback",
)


@pytest.mark.parametrize("under_journey", [False, True])
def test_marks_the_claimed_row_sent_exactly_as_the_orm_would(under_journey):
    now = timezone.now()
    by_orm, compiled = MessageFactory.create_batch(2, **SENDING)
    journey = None
    if under_journey:
        journey = Journey.objects.create(phone="84912345678", token_type="token_logistics_7")
    Message.objects.filter(pk=by_orm.pk, attempts=2, status="sending").update(
        status="sent",
        msg_id="m-1",
        sent_at=now,
        error_code=None,
        error_category="",
        error_message="",
        next_attempt_at=None,
        journey=journey,
        journey_fallback="" if under_journey else "not_issued",
    )
    compiled.journey = journey
    compiled.journey_fallback = "" if under_journey else "not_issued"
    assert mark_sent(compiled, "m-1", now) is True
    by_orm.refresh_from_db()
    compiled.refresh_from_db()
    assert model_to_dict(compiled, fields=COMPARED) == model_to_dict(by_orm, fields=COMPARED)
    assert compiled.sent_at == now and compiled.status == "sent"


@pytest.mark.parametrize(
    "change",
    [{"attempts": 3}, {"status": Message.Status.QUEUED}, {"status": Message.Status.DELIVERED}],
)
def test_a_row_that_is_no_longer_this_claim_is_left_alone(change):
    message = MessageFactory(**SENDING)
    claimed = Message.objects.get(pk=message.pk)
    Message.objects.filter(pk=message.pk).update(**change)
    before = model_to_dict(Message.objects.get(pk=message.pk), fields=COMPARED)
    assert mark_sent(claimed, "m-2", timezone.now()) is False
    assert model_to_dict(Message.objects.get(pk=message.pk), fields=COMPARED) == before
