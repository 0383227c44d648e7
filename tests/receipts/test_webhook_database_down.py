"""A receipt that arrives while the database is away (a PostgreSQL restart, a failover):
answered so that Zalo posts it again, without a traceback, and applied when it does."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from tests.db_outage import outage
from tests.factories import MessageFactory
from tests.receipts.test_webhooks import post, receipt, sign
from zns_notify.models import Message, WebhookEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_receipt_the_database_cannot_store_is_answered_503_and_applied_when_posted_again(
    caplog,
):
    message = MessageFactory(status=Message.Status.SENT, msg_id="15a0cc0bbb13bd4ce403")
    body = receipt(msg_id=message.msg_id)
    client = Client()
    with caplog.at_level(logging.INFO), outage(begun=True) as down:
        answer = post(client, body, sign(body))
    assert down.failed  # the database was asked, and was away
    # 503 with Retry-After: a non-2xx answer makes Zalo post the event again (zns-api.md §7).
    assert answer.status_code == 503
    assert int(answer["Retry-After"]) > 0
    assert answer["Content-Type"].startswith("text/plain")
    # No traceback (every receipt of the outage would print one): one warning line of
    # zns_notify's, beside Django's own one-line "Service Unavailable" of every 5xx.
    assert not [r for r in caplog.records if r.exc_info]
    ours = [r for r in caplog.records if r.name.startswith("zns_notify")]
    assert [r.levelno for r in ours] == [logging.WARNING]
    message.refresh_from_db()
    assert message.status == Message.Status.SENT

    again = post(client, body, sign(body))  # Zalo's retry, the database back
    assert again.status_code == 200
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert WebhookEvent.objects.get().processed_at is not None
