"""The worker's run with journey messages, over HTTP against the sandbox: what the
message records of its journey, and when."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import responses
from django.db import DatabaseError, connections
from django.utils import timezone

from tests.db_outage import lost_connection
from tests.journeys.conftest import (
    DELIVERED,
    NOT_DECLARED,
    SHIPPED,
    journey_message,
    live_journey,
    running_sandbox,
)
from zns_notify.journeys import refusals
from zns_notify.models import (
    Journey,
    Message,
    MessageEvent,
    SendingHold,
    Template,
    ZaloAccount,
)
from zns_notify.sending import lease, record
from zns_notify.sending.claim import claim_keys
from zns_notify.sending.send import deliver, send_batch
from zns_notify.zalo.client import ZaloClient

SENT = Message.Status.SENT

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


# -- what the journey never costs the batch (review B) ------------------------------------


def send_together(*messages: Message) -> None:
    send_batch(claim_keys([m.idempotency_key for m in messages]), ZaloClient.from_settings())


def statuses(*messages: Message) -> list[tuple[str, str]]:
    for message in messages:
        message.refresh_from_db()
    return [(m.status, m.journey_fallback) for m in messages]


def renewing_journey(zalo) -> tuple[Message, Message]:
    """A journey message whose token Zalo expired (-150 on its send: the run ends the
    journey and starts another in the middle of its answers), and a normal message."""
    deliver(journey_message(SHIPPED, order_pk="3").idempotency_key)
    zalo.expire(live_journey().journey_id)
    return journey_message(DELIVERED, order_pk="3"), journey_message(NOT_DECLARED, journey_type="")


def test_an_error_renewing_a_refused_journey_sends_the_message_normally(zalo, monkeypatch):
    journey_sent, normal = renewing_journey(zalo)
    monkeypatch.setattr(refusals, "end", failing(DatabaseError("a bad write")))

    send_together(normal, journey_sent)

    assert statuses(normal, journey_sent) == [(SENT, ""), (SENT, "error")]
    assert journey_sent.journey is None


def test_a_lost_connection_renewing_a_refused_journey_keeps_the_answers_taken(zalo, monkeypatch):
    journey_sent, normal = renewing_journey(zalo)
    monkeypatch.setattr(refusals, "end", failing(lost_connection()))

    send_together(normal, journey_sent)

    # The accepted normal send is recorded; the refused one waits, unsent, for its retry.
    assert statuses(normal, journey_sent)[0][0] == SENT
    assert journey_sent.status == Message.Status.QUEUED and journey_sent.next_attempt_at
    sent_keys = [s["tracking_id"] for s in zalo.sends()]
    assert sent_keys.count(normal.idempotency_key) == 1
    assert journey_sent.idempotency_key not in sent_keys


def failing(error: Exception):
    def fail(*args, **kwargs):
        raise error

    return fail


def test_a_check_token_answer_without_an_object_is_no_expiry(zalo, settings):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_passthru(zalo.url)
        answer = {"error": 0, "message": "Success", "data": "ok"}
        rsps.get(f"{zalo.url}/journey/check-token", json=answer)  # Zalo's odd answer
        journey_sent, normal = journey_message(), journey_message(NOT_DECLARED, order_pk="2")
        normal.journey_type = ""
        normal.save()

        send_together(journey_sent, normal)

    assert statuses(journey_sent, normal) == [(SENT, ""), (SENT, "")]
    journey = live_journey()
    assert journey.expires_at == journey.issued_at + dt.timedelta(days=7)  # by the type
    assert journey_sent.journey == journey


@pytest.mark.timed_waits  # the sandbox's latency and the lease run on the clock
def test_a_slow_journey_request_keeps_the_batchs_lease(zalo, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SEND_LEASE": 1.0}
    zalo.knob("faults", latency_ms=700, paths=["/journey/"])  # get-token + check-token > lease
    journey_sent, normal = journey_message(), journey_message(NOT_DECLARED, journey_type="")
    stop = threading.Event()

    def another_worker_recovering():  # what other workers' keepers and the sweeper do
        while not stop.wait(0.1):
            lease.recover_expired()
        connections.close_all()

    recovering = threading.Thread(target=another_worker_recovering)
    recovering.start()
    try:
        send_together(journey_sent, normal)
    finally:
        stop.set()
        recovering.join()

    assert statuses(journey_sent, normal) == [(SENT, ""), (SENT, "")]
    assert [m.attempts for m in (journey_sent, normal)] == [1, 1]


def test_development_mode_messages_go_one_by_one(zalo):
    message = journey_message(development_mode=True, phone="84987654321")  # an OA admin

    deliver(message.idempotency_key)

    assert statuses(message) == [(SENT, "development")]
    assert zalo.get_token_requests() == 0 and not Journey.objects.exists()


def test_with_hashed_phones_journey_messages_go_one_by_one(zalo, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "HASH_PHONE": True}
    message = journey_message()

    deliver(message.idempotency_key)

    assert statuses(message) == [(SENT, "hashed_phone")]
    assert zalo.get_token_requests() == 0  # get-token would need the plain phone


def test_a_bad_write_of_the_group_still_bills_the_journey(zalo, monkeypatch):
    real_insert, tries = record.fallback.insert, []

    def insert_failing_once(steps, using):
        tries.append(1)
        if len(tries) == 1:
            raise DatabaseError("a bad write of another outcome in the group")
        return real_insert(steps, using)

    monkeypatch.setattr(record.fallback, "insert", insert_failing_once)
    message = journey_message()

    deliver(message.idempotency_key)  # recorded one by one after the group's rollback

    journey = live_journey()
    message.refresh_from_db()
    assert message.status == SENT and message.journey == journey
    assert journey.first_sent_at == message.sent_at and journey.price is not None


def test_an_unanswered_journey_send_is_linked_to_its_journey(zalo, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "REQUEST_TIMEOUT": (2, 0.3)}
    message = journey_message()
    zalo.knob("faults", timeout_rate=1.0, timeout_seconds=1, paths=["/message/template"])

    deliver(message.idempotency_key)

    message.refresh_from_db()
    assert message.ambiguous_sends == 1
    # A delivery receipt that settles it later finds the journey it went under.
    assert message.journey == live_journey()


def test_a_phone_not_on_zalo_fails_its_notice_with_the_reason_it_went_outside_the_journey(zalo):
    # The demo's customer 0999 000 118 is not on Zalo: get-token answers -118, and so does
    # the send one by one. The log must still say why it was not under the journey.
    message = journey_message(SHIPPED, phone="84999000118")

    deliver(message.idempotency_key)

    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and message.error_code == -118
    assert message.journey_fallback == "not_issued" and message.journey is None


@pytest.mark.timed_waits  # the sandbox's latency and the lease run on the clock
def test_a_slow_journey_request_never_lets_the_run_lose_its_other_claimed_rows(zalo, settings):
    # Review D: while Zalo took longer than the send lease to issue a token, the run's
    # rows the gate had stopped (recorded only after) were taken for a dead worker's.
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SEND_LEASE": 1.0}
    under = journey_message(SHIPPED, order_pk="1")
    Template.objects.filter(template_id=NOT_DECLARED).update(status="PENDING_REVIEW")
    stopped = journey_message(NOT_DECLARED, journey_type="", order_pk="2")
    zalo.knob("faults", latency_ms=2500, paths=["/journey/get-token"])

    send_together(under, stopped)

    timeline = MessageEvent.objects.filter(message=stopped).values_list("detail", flat=True)
    assert not any("stopped before sending" in detail for detail in timeline)
    under.refresh_from_db()
    assert under.status == SENT and under.journey is not None


def test_a_wait_before_the_send_keeps_the_journey_an_earlier_lost_answer_left(zalo):
    # Review D: the first send's answer was lost (the row stays linked to the journey it
    # carried, for the receipt to settle); the next attempt waits on a hold before any
    # request. The wait must not unlink it: a late receipt counts it under its journey.
    message = journey_message(SHIPPED)
    deliver(message.idempotency_key)
    journey = live_journey()
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.QUEUED, msg_id="", sent_at=None, next_attempt_at=None
    )
    SendingHold.objects.create(
        account=ZaloAccount.objects.get(),
        reason="Tài khoản ZCA không đủ số dư",
        until=timezone.now() + dt.timedelta(hours=1),
    )

    deliver(message.idempotency_key)

    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED and message.journey == journey
