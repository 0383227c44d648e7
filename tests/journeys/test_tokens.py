"""An order's live journey over HTTP against the sandbox: one get-token request per
journey, reused by the order's later messages while it lives, replaced past its expiry,
single-flight between workers, and a normal send when Zalo issues no token."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import responses
from django.db import connections
from django.utils import timezone

from tests.journeys.conftest import (
    DELIVERED,
    OTHER_PHONE,
    PHONE,
    SHIPPED,
    journey_message,
    live_journey,
)
from zns_notify.journeys.tokens import JourneyKey, journey_for, request_lease
from zns_notify.models import Journey, Message, ZaloAccount
from zns_notify.sending.claim import claim_keys
from zns_notify.sending.send import deliver, send_batch
from zns_notify.zalo.client import ZaloClient

pytestmark = pytest.mark.django_db(transaction=True)


def sent(message: Message) -> Message:
    message.refresh_from_db()
    assert message.status == Message.Status.SENT, (message.error_code, message.error_message)
    return message


def test_an_orders_messages_share_one_journey_token(zalo):
    shipped, delivered = journey_message(SHIPPED), journey_message(DELIVERED)

    deliver(shipped.idempotency_key)
    deliver(delivered.idempotency_key)  # another run: the stored journey, not a new token

    journey = live_journey()
    assert journey.state == Journey.State.ACTIVE and journey.order_ref == "DH000001"
    assert sent(shipped).journey == journey and sent(delivered).journey == journey
    assert zalo.get_token_requests() == 1
    [row] = zalo.journeys()["journeys"]
    assert row["journey_id"] == journey.journey_id
    assert row["tracking_ids"] == [shipped.idempotency_key, delivered.idempotency_key]


def test_messages_of_one_order_in_one_batch_ask_for_one_token(zalo):
    messages = [journey_message(SHIPPED), journey_message(DELIVERED)]

    send_batch(claim_keys([m.idempotency_key for m in messages]), ZaloClient.from_settings())

    journey = live_journey()
    assert {sent(m).journey for m in messages} == {journey}
    assert zalo.get_token_requests() == 1


def test_another_order_or_phone_starts_its_own_journey(zalo):
    first = journey_message(order_pk="1")
    other_order = journey_message(order_pk="2")
    other_phone = journey_message(order_pk="1", phone=OTHER_PHONE)

    for message in (first, other_order, other_phone):
        deliver(message.idempotency_key)

    journeys = {sent(m).journey for m in (first, other_order, other_phone)}
    assert len(journeys) == 3 and zalo.get_token_requests() == 3


def test_the_expiry_comes_from_check_token(zalo):
    before = timezone.now()
    deliver(journey_message().idempotency_key)

    journey = live_journey()
    [row] = zalo.journeys()["journeys"]
    assert journey.expires_at == dt.datetime.fromtimestamp(row["expires_ms"] / 1000, tz=dt.UTC)
    assert before + dt.timedelta(days=7) - dt.timedelta(seconds=5) < journey.expires_at


def test_a_journey_within_the_margin_of_its_expiry_is_ended_and_a_new_one_starts(zalo):
    first, second = journey_message(SHIPPED), journey_message(DELIVERED)
    deliver(first.idempotency_key)
    old = live_journey()
    # Zalo's token still lives, but not JOURNEY_EXPIRY_MARGIN (600 s) longer.
    Journey.objects.filter(pk=old.pk).update(expires_at=timezone.now() + dt.timedelta(minutes=9))

    deliver(second.idempotency_key)

    old.refresh_from_db()
    assert (old.state, old.end_reason) == (Journey.State.EXPIRED, "clock")
    new = live_journey()
    assert new != old and sent(second).journey == new
    assert zalo.get_token_requests() == 2


def test_a_journey_past_its_days_by_the_clock_is_replaced(zalo, time_machine):
    time_machine.move_to(timezone.now(), tick=True)
    first, second = journey_message(SHIPPED), journey_message(DELIVERED)
    deliver(first.idempotency_key)
    old = live_journey()

    time_machine.shift(dt.timedelta(days=7) - dt.timedelta(minutes=5))  # sandbox's clock too
    ZaloAccount.objects.update(access_token_expires_at=timezone.now() + dt.timedelta(hours=1))
    deliver(second.idempotency_key)

    old.refresh_from_db()
    assert (old.state, old.end_reason) == (Journey.State.EXPIRED, "clock")
    assert sent(second).journey == live_journey() != old


def test_the_margin_is_a_setting(zalo, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "JOURNEY_EXPIRY_MARGIN": 0}
    first, second = journey_message(SHIPPED), journey_message(DELIVERED)
    deliver(first.idempotency_key)
    journey = live_journey()
    soon = timezone.now() + dt.timedelta(minutes=9)
    Journey.objects.filter(pk=journey.pk).update(expires_at=soon)

    deliver(second.idempotency_key)

    assert sent(second).journey == journey and zalo.get_token_requests() == 1


def test_zalo_issuing_no_token_sends_normally(zalo):
    zalo.knob("faults", get_token_error_code=-100)
    message = journey_message()

    deliver(message.idempotency_key)

    message = sent(message)
    assert message.journey is None and message.journey_fallback == "not_issued"
    journey = Journey.objects.get()
    assert (journey.state, journey.end_reason) == (Journey.State.REFUSED, "issue:-100")
    assert [row["journey_id"] for row in zalo.sends()] == [None]


def test_a_refused_access_token_at_get_token_is_refreshed_and_asked_once_more(zalo):
    zalo.knob("faults", expire_access_tokens=True)  # the stored access token is dead at Zalo
    stale = ZaloAccount.objects.get().access_token
    message = journey_message()

    deliver(message.idempotency_key)

    assert ZaloAccount.objects.get().access_token != stale
    assert sent(message).journey == live_journey()
    # get-token came first and met the -124: one refresh, and the send went with its token.
    assert zalo.token_history()["counts"]["refreshed"] == 1
    assert zalo.get_token_requests() == 1  # the sandbox counts the requests past the token


def test_the_setting_off_sends_journey_bindings_normally(zalo, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "JOURNEYS": False}
    message = journey_message()

    deliver(message.idempotency_key)

    assert sent(message).journey_fallback == "disabled"
    assert zalo.get_token_requests() == 0 and not Journey.objects.exists()


def test_a_message_without_a_journey_type_never_asks_for_a_token(zalo):
    message = journey_message(journey_type="")

    deliver(message.idempotency_key)

    message = sent(message)
    assert message.journey is None and message.journey_fallback == ""
    assert zalo.get_token_requests() == 0


def test_a_request_whose_lease_ran_out_is_taken_over(zalo):
    message = journey_message()
    key = JourneyKey.of(message)
    dead = Journey.objects.create(
        order_type=key.order_type,
        order_pk=key.order_pk,
        phone=PHONE,
        token_type=key.token_type,
        requested_by="a-worker-that-died",
        requested_at=timezone.now() - request_lease() - dt.timedelta(seconds=1),
    )

    deliver(message.idempotency_key)

    dead.refresh_from_db()
    assert dead.state == Journey.State.ACTIVE and dead.token and not dead.requested_by
    assert sent(message).journey == dead and zalo.get_token_requests() == 1


@pytest.mark.timed_waits  # the waiting worker polls with timed sleeps and waits
def test_a_worker_waits_for_the_request_another_holds(zalo):
    message = journey_message()
    key = JourneyKey.of(message)
    held = Journey.objects.create(
        order_type=key.order_type,
        order_pk=key.order_pk,
        phone=PHONE,
        token_type=key.token_type,
        requested_by="another-worker",
        requested_at=timezone.now(),
    )
    answer, ticks = {}, []

    def wait_for_it():
        try:
            client = ZaloClient.from_settings()
            answer["found"] = journey_for(key, client, "unused", tick=lambda: ticks.append(1))
        finally:
            connections.close_all()

    waiter = threading.Thread(target=wait_for_it)
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive()  # polling the other worker's request
    Journey.objects.filter(pk=held.pk).update(
        state=Journey.State.ACTIVE, token="issued-to-the-other", requested_by=""
    )
    waiter.join(5)

    assert answer["found"].journey.pk == held.pk and zalo.get_token_requests() == 0
    assert ticks  # the waiting run renewed its leases meanwhile


def test_two_workers_sending_one_orders_messages_at_once_ask_once(zalo):
    """Two threads (two database connections: on PostgreSQL or SQLite, as the run is) send
    the two messages of one order at the same moment."""
    messages = [journey_message(SHIPPED), journey_message(DELIVERED)]
    barrier = threading.Barrier(2)
    errors = []

    def worker(message):
        try:
            barrier.wait(5)
            deliver(message.idempotency_key)
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(m,)) for m in messages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors
    assert zalo.get_token_requests() == 1
    assert {sent(m).journey for m in messages} == {live_journey()}
    assert Journey.objects.count() == 1


def check_token_answers(zalo, rsps, expired_at) -> None:
    """Zalo's check-token answering ``expired_at``; every other path is the sandbox's."""
    rsps.add_passthru(zalo.url)
    answer = {"error": 0, "message": "Success", "data": {"expiredAt": expired_at}}
    rsps.get(f"{zalo.url}/journey/check-token", json=answer)


def test_an_expiry_in_seconds_is_read_as_seconds(zalo):
    in_five_days = timezone.now().replace(microsecond=0) + dt.timedelta(days=5)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        check_token_answers(zalo, rsps, str(int(in_five_days.timestamp())))
        for template in (SHIPPED, DELIVERED):
            deliver(journey_message(template).idempotency_key)

    assert live_journey().expires_at == in_five_days
    assert zalo.get_token_requests() == 1  # not a new, billed journey per message


@pytest.mark.parametrize("days", [40, -1])
def test_an_expiry_no_token_can_have_is_the_types_lifetime(zalo, days):
    implausible = timezone.now() + dt.timedelta(days=days)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        check_token_answers(zalo, rsps, str(int(implausible.timestamp() * 1000)))
        for template in (SHIPPED, DELIVERED):
            deliver(journey_message(template).idempotency_key)

    journey = live_journey()
    assert journey.expires_at == journey.issued_at + dt.timedelta(days=7)
    assert zalo.get_token_requests() == 1


def test_a_request_whose_lease_was_taken_over_waits_for_the_other_token(zalo):
    """The worker's request outlived its lease: another worker took it over and stores
    its own token a little later. The first worker sends under that token."""
    message = journey_message()
    others = {}

    def other_worker_stores(pk):
        time.sleep(0.3)
        issued = zalo.issue(PHONE)
        others["token"] = issued["token"]
        Journey.objects.filter(pk=pk).update(
            state=Journey.State.ACTIVE,
            token=issued["token"],
            journey_id=issued["journey_id"],
            requested_by="",
        )
        connections.close_all()

    def check_token(request):  # while this worker waits for Zalo, its lease is taken
        journey = Journey.objects.get(state=Journey.State.REQUESTING)
        Journey.objects.filter(pk=journey.pk).update(requested_by="another-worker")
        others["thread"] = threading.Thread(target=other_worker_stores, args=(journey.pk,))
        others["thread"].start()
        return 200, {}, '{"error": 0, "message": "Success", "data": {}}'

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_passthru(zalo.url)
        rsps.add_callback(responses.GET, f"{zalo.url}/journey/check-token", callback=check_token)
        deliver(message.idempotency_key)
    others["thread"].join(5)

    journey = live_journey()
    assert journey.token == others["token"]
    assert sent(message).journey == journey and message.journey_fallback == ""
