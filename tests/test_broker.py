"""zns_notify.broker.OutboxORM and .Redis, the brokers hosts name: the relay's poll (tests/events/
test_relay.py), which also recovers dead workers' rows while the cluster has nothing else
to do (issue 15)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.brokers.redis_broker import Redis as QRedis

from tests.db_outage import outage
from tests.events.test_relay import relayed_keys
from tests.factories import MessageFactory
from zns_notify.lib import reconnect
from zns_notify.models import Message
from zns_notify.sending import lease
from zns_notify.sending.claim import claim_keys

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_idle_clusters_poll_hands_out_a_dead_workers_unsent_rows(outbox_broker):
    message = MessageFactory()
    claim_keys([message.idempotency_key])  # claimed by a worker that died before sending
    assert relayed_keys(outbox_broker.dequeue()) == []
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=35), tick=False):
        # No send task runs and the sweeper's minute has not come: the poll recovers it.
        assert relayed_keys(outbox_broker.dequeue()) == [message.idempotency_key]
        message.refresh_from_db()
        assert (message.status, message.ambiguous_sends) == (Message.Status.QUEUED, 0)


def test_the_redis_broker_is_django_q2s_with_the_recovery(redis_broker):
    assert isinstance(redis_broker, QRedis)
    assert type(redis_broker) is import_string("zns_notify.broker.Redis")


def test_an_idle_redis_clusters_poll_queues_a_dead_workers_unsent_rows_with_a_task(
    redis_broker,
):
    message = MessageFactory()
    claim_keys([message.idempotency_key])  # claimed by a worker that died before sending
    assert redis_broker.dequeue() is None  # nothing queued, nothing expired yet
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=35), tick=False):
        # No send task runs and the sweeper's minute has not come: the poll recovers it
        # and pushes the send task a worker takes from this very queue.
        redis_broker._next_recovery = None
        task = redis_broker.dequeue()
        message.refresh_from_db()
        assert (message.status, message.ambiguous_sends) == (Message.Status.QUEUED, 0)
    assert task is not None
    assert redis_broker.queue_size() == 0


def test_a_poll_that_meets_a_lost_connection_reconnects_and_recovers_at_the_next(
    outbox_broker, monkeypatch
):
    message = MessageFactory()
    claim_keys([message.idempotency_key])
    reconnected = []
    monkeypatch.setattr(reconnect, "reconnect", lambda using: reconnected.append(using))
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=35), tick=False):
        with outage(1, begun=True):
            outbox_broker._recover()  # the poll goes on
        assert reconnected == ["default"]
        outbox_broker._next_recovery = None
        outbox_broker._recover()
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED


def test_a_broker_error_while_queueing_recovered_rows_never_stops_the_poll(
    outbox_broker, monkeypatch
):
    def broker_down(keys):
        raise ConnectionError("Redis is restarting")

    monkeypatch.setattr(lease, "push_send_task", broker_down)
    monkeypatch.setattr(outbox_broker, "push_tasks", True)
    message = MessageFactory()
    claim_keys([message.idempotency_key])
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=35), tick=False):
        outbox_broker._recover()  # logged, not raised
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED  # the sweeper pushes its task
