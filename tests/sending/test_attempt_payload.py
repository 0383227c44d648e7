"""Each send attempt keeps, on its timeline entry, the request made to Zalo and Zalo's
answer (MessageEvent.payload), for the delivery log's detail page; never the token."""

from __future__ import annotations

import json

import pytest

from tests.factories import MessageFactory
from zns_notify.models import Message, MessageEvent
from zns_notify.sending.send import deliver
from zns_notify.tasks import send_messages

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_batch_send_keeps_the_request_and_the_answer(account, zalo_api):
    message = MessageFactory()
    zalo_api.send_ok(msg_id="abc123", remaining=42)
    assert send_messages([message.idempotency_key]) == 1
    event = MessageEvent.objects.get(message=message, kind="attempt")
    request, answer = event.payload["request"], event.payload["answer"]
    assert request["path"] == "/message/template"
    assert request["body"] == zalo_api.last_json()  # exactly what went out
    assert answer["data"]["msg_id"] == "abc123" and answer["error"] == 0
    assert account.access_token not in json.dumps(event.payload)


def test_a_refused_send_keeps_zalos_error_answer(account, zalo_api):
    message = MessageFactory()
    zalo_api.send_error(-118, "Zalo account not existed")
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    event = MessageEvent.objects.get(message=message, kind="attempt")
    assert event.payload["answer"] == {
        "error": -118,
        "message": "Zalo account not existed",
        "data": None,
    }
    assert event.payload["request"]["body"]["tracking_id"] == message.idempotency_key


def test_a_message_refused_before_any_call_has_no_payload(account):
    message = MessageFactory(template=None, zalo_template_id="999")  # the gate refuses it
    deliver(message.idempotency_key)
    event = MessageEvent.objects.get(message=message)
    assert event.payload is None
