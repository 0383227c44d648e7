"""A receipt's cost in statements: on PostgreSQL the common receipt (a sent message without
an SMS fallback) is applied and stored in one statement, with the same result as the
general path (issue 15: through a real server, each round trip to the database is what a
receipt costs)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import MessageFactory
from tests.receipts.test_webhooks import URL, receipt, sign
from zns_notify import signals
from zns_notify.models import Message, MessageEvent, WebhookEvent
from zns_notify.receipts import handlers

POSTGRES = os.environ.get("ZNS_TEST_DB") == "postgres"


def post(body: bytes):
    return Client().post(
        URL, data=body, content_type="application/json", HTTP_X_ZEVENT_SIGNATURE=sign(body)
    )


def outcome_of(msg_id: str) -> dict:
    """Everything a receipt writes about message ``msg_id``, with the msg_id replaced by
    "<id>", without row ids and the signing time (each body is signed when it is made)."""
    message = Message.objects.get(msg_id=msg_id)
    event = WebhookEvent.objects.get(subject=msg_id)
    timeline = [
        (kind, status, code, detail.replace(msg_id, "<id>"), payload)
        for kind, status, code, detail, payload in MessageEvent.objects.filter(
            message=message
        ).values_list("kind", "status", "error_code", "detail", "payload")
    ]
    return {
        "message": (message.status, message.delivered_at, message.next_status_check_at),
        "timeline": timeline,
        "event": (
            event.event_name,
            event.app_id,
            event.subject == msg_id,
            event.signed_at is not None,
            msg_id in event.body,
            event.outcome,
            event.detail,
            event.processed_at is not None,
        ),
    }


@pytest.mark.skipif(not POSTGRES, reason="one statement on PostgreSQL; SQLite has no UPDATE CTE")
@pytest.mark.django_db(transaction=True)
def test_a_receipt_is_applied_and_stored_in_one_statement():
    message = MessageFactory(
        status=Message.Status.SENT,
        msg_id="one-statement",
        next_status_check_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )
    body = receipt(msg_id="one-statement")
    with CaptureQueriesContext(connection) as queries:
        response = post(body)
    assert response.status_code == 200 and response.json()["outcome"] == "applied"
    assert len(queries.captured_queries) == 1, [q["sql"][:60] for q in queries]
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert int(message.delivered_at.timestamp() * 1000) == 1602960467432
    assert message.next_status_check_at is None
    [entry] = MessageEvent.objects.filter(message=message)
    assert (entry.kind, entry.status) == (MessageEvent.Kind.RECEIPT, Message.Status.DELIVERED)
    assert entry.detail == "user_received_message one-statement"
    event = WebhookEvent.objects.get()
    assert (event.outcome, event.subject, event.body) == ("applied", "one-statement", body.decode())


@pytest.mark.django_db(transaction=True)
def test_the_one_statement_receipt_announces_the_delivery_once():
    message = MessageFactory(status=Message.Status.SENT, msg_id="announced")
    seen = []
    signals.message_delivered.connect(lambda **kw: seen.append(kw), weak=False, dispatch_uid="t")
    try:
        assert post(receipt(msg_id="announced")).status_code == 200
        assert post(receipt(msg_id="announced")).json()["outcome"] == "duplicate"
    finally:
        signals.message_delivered.disconnect(dispatch_uid="t")
    assert len(seen) == 1 and seen[0]["message"].pk == message.pk
    assert seen[0]["message"].status == Message.Status.DELIVERED


@pytest.mark.django_db(transaction=True)
def test_the_one_statement_receipt_writes_what_the_general_path_writes(monkeypatch):
    MessageFactory(status=Message.Status.SENT, msg_id="fast")
    MessageFactory(status=Message.Status.SENT, msg_id="general")
    assert post(receipt(msg_id="fast")).status_code == 200
    real = handlers.HANDLERS["user_received_message"]
    monkeypatch.setitem(
        handlers.HANDLERS,
        "user_received_message",
        handlers.EventHandler(real.identity, real.apply),  # without its one-statement form
    )
    assert post(receipt(msg_id="general")).status_code == 200
    assert outcome_of("fast") == outcome_of("general")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "status", [Message.Status.DELIVERED, Message.Status.FAILED, Message.Status.UNDELIVERED]
)
def test_receipts_the_one_statement_cannot_apply_take_the_general_path(status):
    """Already delivered: ignored; final: a late delivery, as before."""
    MessageFactory(status=status, msg_id="later")
    response = post(receipt(msg_id="later"))
    assert response.status_code == 200
    expected = {"delivered": "ignored", "failed": "late", "undelivered": "late"}[status]
    assert response.json()["outcome"] == expected
    assert Message.objects.get(msg_id="later").status == status
