"""zns_notify.broker.OutboxORM, the broker hosts name: the relay's poll (tests/events/
test_relay.py), which also recovers dead workers' rows while the cluster has nothing else
to do (issue 15)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from django_q.conf import Conf

from tests.events.test_relay import relayed_keys
from tests.factories import MessageFactory
from zns_notify.broker import OutboxORM
from zns_notify.models import Message
from zns_notify.sending.claim import claim_keys

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def outbox_broker(monkeypatch):
    monkeypatch.setattr(Conf, "BROKER_CLASS", "zns_notify.broker.OutboxORM")
    monkeypatch.setattr(Conf, "POLL", 0.01)
    return OutboxORM(list_key=Conf.CLUSTER_NAME)


def test_an_idle_clusters_poll_hands_out_a_dead_workers_unsent_rows(outbox_broker):
    message = MessageFactory()
    claim_keys([message.idempotency_key])  # claimed by a worker that died before sending
    assert relayed_keys(outbox_broker.dequeue()) == []
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=35), tick=False):
        # No send task runs and the sweeper's minute has not come: the poll recovers it.
        assert relayed_keys(outbox_broker.dequeue()) == [message.idempotency_key]
        message.refresh_from_db()
        assert (message.status, message.ambiguous_sends) == (Message.Status.QUEUED, 0)
