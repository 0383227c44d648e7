"""zns_notify's outbox broker: queued messages are the queue, relayed by the broker's poll."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from tests.factories import BindingFactory, MessageFactory, OrderFactory
from zns_notify.broker import OutboxORM
from zns_notify.events.relay import RELAY_BATCH, RELAYED, relay_active
from zns_notify.models import Message, MessageEvent
from zns_notify.sending.claim import claim
from zns_notify.tasks import sweep

pytestmark = pytest.mark.django_db(transaction=True)


def relayed_keys(tasks) -> list[str]:
    keys = []
    for ack_id, payload in tasks or []:
        if str(ack_id).startswith(RELAYED):
            task = SignedPackage.loads(payload)
            assert task["func"] == "zns_notify.tasks.send_messages"
            keys += task["args"][0]
    return keys


def test_relay_is_active_only_for_the_outbox_broker_on_the_same_database(monkeypatch):
    assert not relay_active("default")  # the suite's plain ORM broker
    monkeypatch.setattr(Conf, "BROKER_CLASS", "zns_notify.broker.OutboxORM")
    assert relay_active("default")
    assert not relay_active("other")
    monkeypatch.setattr(Conf, "SYNC", True)
    assert not relay_active("default")
    monkeypatch.setattr(Conf, "SYNC", False)
    for other in ("django_q.brokers.orm.ORM", "no.such.Broker"):
        monkeypatch.setattr(Conf, "BROKER_CLASS", other)
        assert not relay_active("default")


def test_an_event_writes_its_message_and_no_queue_row(outbox_broker):
    BindingFactory(event="order_paid")
    order = OrderFactory()
    with CaptureQueriesContext(connection) as ctx:
        order.mark_paid()
    message = Message.objects.get(event="order_paid")
    assert message.status == Message.Status.QUEUED and message.relayed_at is None
    assert OrmQ.objects.count() == 0
    assert not [q for q in ctx.captured_queries if "django_q_ormq" in q["sql"]]


def test_a_rolled_back_event_leaves_nothing_to_relay(outbox_broker):
    BindingFactory(event="order_paid")
    order = OrderFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        order.mark_paid()
        raise RuntimeError("the shop's view failed after the save")
    assert not Message.objects.filter(event="order_paid").exists()
    assert relayed_keys(outbox_broker.dequeue()) == []


def test_poll_hands_out_queued_messages_once_as_signed_send_tasks(outbox_broker):
    messages = [MessageFactory() for _ in range(3)]
    tasks = outbox_broker.dequeue()
    assert relayed_keys(tasks) == [m.idempotency_key for m in messages]
    assert all(Message.objects.filter(relayed_at__isnull=False).values_list("pk", flat=True))
    assert relayed_keys(outbox_broker.dequeue()) == []  # leased: not handed out twice


def test_only_the_cluster_that_runs_zns_notifys_tasks_relays(outbox_broker, settings):
    message = MessageFactory()
    assert relayed_keys(OutboxORM(list_key="another-cluster").dequeue()) == []
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "QUEUE_CLUSTER": "zns"}
    assert relayed_keys(outbox_broker.dequeue()) == []
    assert relayed_keys(OutboxORM(list_key="zns").dequeue()) == [message.idempotency_key]


def test_a_lease_that_runs_out_hands_the_message_out_again(outbox_broker):
    message = MessageFactory()
    assert relayed_keys(outbox_broker.dequeue()) == [message.idempotency_key]
    expired = timezone.now() - dt.timedelta(seconds=Conf.RETRY + 1)
    Message.objects.filter(pk=message.pk).update(relayed_at=expired)
    assert relayed_keys(outbox_broker.dequeue()) == [message.idempotency_key]


def test_a_dead_clusters_relayed_messages_go_out_again_within_the_send_lease(
    outbox_broker, settings
):
    # Relayed to a cluster SIGKILLed before a worker claimed them: they wait the shorter of
    # django-q2's retry (60 s in the demo) and SEND_LEASE, not a minute (issue 15).
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SEND_LEASE": 30}
    message = MessageFactory()
    assert relayed_keys(outbox_broker.dequeue()) == [message.idempotency_key]
    assert Conf.RETRY > 31
    Message.objects.filter(pk=message.pk).update(
        relayed_at=timezone.now() - dt.timedelta(seconds=31)
    )
    assert relayed_keys(outbox_broker.dequeue()) == [message.idempotency_key]


def test_only_due_queued_messages_are_relayed(outbox_broker):
    now = timezone.now()
    due = MessageFactory(next_attempt_at=now - dt.timedelta(seconds=1))
    MessageFactory(next_attempt_at=now + dt.timedelta(hours=1))
    MessageFactory(status=Message.Status.SENT)
    MessageFactory(status=Message.Status.SKIPPED)
    assert relayed_keys(outbox_broker.dequeue()) == [due.idempotency_key]


def test_a_backlog_is_relayed_in_batches_oldest_first(outbox_broker):
    messages = [MessageFactory() for _ in range(RELAY_BATCH + 5)]
    first = relayed_keys(outbox_broker.dequeue())
    second = relayed_keys(outbox_broker.dequeue())
    assert first == [m.idempotency_key for m in messages[:RELAY_BATCH]]
    assert second == [m.idempotency_key for m in messages[RELAY_BATCH:]]


def test_the_workers_claim_ends_the_lease(outbox_broker):
    message = MessageFactory()
    relayed_keys(outbox_broker.dequeue())
    claimed = claim(message.idempotency_key)
    assert claimed.status == Message.Status.SENDING and claimed.relayed_at is None


def test_other_tasks_of_the_cluster_are_served_on_the_same_poll(outbox_broker):
    async_task("math.floor", 1.5)
    message = MessageFactory()
    tasks = outbox_broker.dequeue()
    assert relayed_keys(tasks) == [message.idempotency_key]
    ormq = [ack_id for ack_id, _ in tasks if not str(ack_id).startswith(RELAYED)]
    assert ormq == list(OrmQ.objects.values_list("pk", flat=True))
    assert SignedPackage.loads(dict(tasks)[ormq[0]])["func"] == "math.floor"


def test_acknowledging_a_relayed_task_leaves_the_queue_table_alone(outbox_broker):
    async_task("math.floor", 1.5)
    row = OrmQ.objects.get()
    MessageFactory()
    tasks = dict(outbox_broker.dequeue())
    relayed_id = next(ack_id for ack_id in tasks if str(ack_id).startswith(RELAYED))
    outbox_broker.acknowledge(relayed_id)
    outbox_broker.fail(relayed_id)
    assert OrmQ.objects.filter(pk=row.pk).exists()
    outbox_broker.acknowledge(row.pk)
    assert not OrmQ.objects.exists()


def test_an_empty_poll_falls_back_to_the_orm_brokers_wait(outbox_broker):
    assert outbox_broker.dequeue() is None


def test_sweep_leaves_due_messages_to_the_relay_but_recovers_dead_workers(outbox_broker, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "AMBIGUOUS_SENDS": "retry"}
    old = timezone.now() - dt.timedelta(minutes=10)
    MessageFactory(created_at=old)  # would be "lost" without the relay
    stuck = MessageFactory(status=Message.Status.SENDING, claimed_at=old, attempts=1)
    assert sweep() == 0
    assert OrmQ.objects.count() == 0
    stuck.refresh_from_db()
    assert stuck.status == Message.Status.QUEUED
    assert MessageEvent.objects.filter(message=stuck, kind="note").exists()
    assert stuck.idempotency_key in relayed_keys(outbox_broker.dequeue())


def test_a_stream_of_new_messages_does_not_starve_due_ones(outbox_broker):
    # A delayed binding's reminder, a policy deferral that ended, a retry: under a steady
    # stream of new messages (a full batch on every poll) they must still be handed out.
    from zns_notify.events.relay import claim_due_keys

    now = timezone.now()
    reminder = MessageFactory(next_attempt_at=now - dt.timedelta(seconds=1))
    for _ in range(RELAY_BATCH + 5):
        MessageFactory()
    assert reminder.idempotency_key in claim_due_keys(RELAY_BATCH)
