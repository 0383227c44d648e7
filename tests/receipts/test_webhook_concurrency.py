"""The same event delivered twice at the same moment (Zalo's retry racing a slow answer):
applied once, the other delivery a duplicate."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connections

from tests.factories import MessageFactory
from tests.receipts.test_webhooks import APP_ID, receipt
from zns_notify.models import Message, MessageEvent, WebhookEvent
from zns_notify.receipts import inbox

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_simultaneous_deliveries_apply_once():
    message = MessageFactory(status=Message.Status.SENT, msg_id="race-1")
    body = receipt(msg_id="race-1")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def deliver() -> None:
        try:
            start.wait()
            outcomes.append(inbox.receive(body, json.loads(body), APP_ID, None))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(outcomes) == ["applied", "duplicate"]
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert MessageEvent.objects.filter(message=message).count() == 1
    assert WebhookEvent.objects.count() == 1
