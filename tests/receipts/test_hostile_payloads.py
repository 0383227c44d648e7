"""Hostile but signed webhook payloads: nested far deeper or far larger than any event Zalo
sends. The event is acknowledged with its useful fields kept, what is stored is bounded,
and no stored payload (also one stored before the bound) breaks the message's pages."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import MessageFactory
from tests.receipts.test_webhook_events import deliver_event, feedback
from tests.users import staff_user
from zns_notify.models import MessageEvent, MessageFeedback, WebhookEvent

pytestmark = pytest.mark.django_db


def nested(depth: int, leaf: object = "x") -> object:
    value = leaf
    for _ in range(depth):
        value = {"a": [value]} if _ % 2 else {"b": value}
    return value


def depth_of(value: object) -> int:
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        stack.extend((child, level + 1) for child in children)
    return deepest


def pages(message) -> list[int]:
    """The status codes of the message's admin page and its API detail, for a staff user
    without the full phone permission (the masking path) and one with it."""
    codes = []
    for extra in ((), ("view_full_phone",)):
        user = staff_user("view_message", *extra)
        admin = Client()
        admin.force_login(user)
        codes.append(
            admin.get(reverse("admin:zns_notify_message_change", args=[message.pk])).status_code
        )
        api = APIClient()
        api.force_authenticate(user)
        codes.append(api.get(f"/zns/api/messages/{message.pk}/").status_code)
    return codes


def test_a_deeply_nested_signed_feedback_is_acknowledged_and_kept_bounded():
    message = MessageFactory(status="delivered", msg_id="7e4c33cfc20b05575c18")
    payload = feedback(extra=nested(480))
    response = deliver_event(Client(), payload)
    assert response.status_code == 200
    assert response.json()["outcome"] == "applied"
    rating = MessageFeedback.objects.get()
    assert rating.message == message and rating.rate == 5
    assert rating.note == "Tôi rất hài lòng." and rating.feedbacks == ["Nhân viên vui vẻ"]
    stored = WebhookEvent.objects.get(event_name="user_feedback")
    assert depth_of(json.loads(stored.body)) <= 32
    assert json.loads(stored.body)["message"]["rate"] == 5
    assert pages(message) == [200, 200, 200, 200]


def test_payloads_stored_before_the_bounds_never_break_the_message_pages():
    message = MessageFactory(status="delivered", msg_id="m-deep")
    # A webhook body deeper than Python's own parser goes, as raw text, and one it parses.
    for depth, key in ((3000, "k1"), (600, "k2")):
        WebhookEvent.objects.create(
            event_name="user_feedback",
            dedup_key=key,
            subject="m-deep",
            body='{"message": ' + "[" * depth + "]" * depth + "}",
            outcome="applied",
        )
    MessageEvent.objects.create(
        message=message,
        kind="attempt",
        status="sent",
        payload={"request": {"path": "/message/template", "body": {}}, "answer": nested(400)},
    )
    assert pages(message) == [200, 200, 200, 200]


def test_a_deep_answer_from_zalo_is_kept_within_bounds():
    from zns_notify.lib.json_bounds import MAX_DEPTH
    from zns_notify.sending.record import attempt_payload
    from zns_notify.zalo.client import SendResult

    result = SendResult(
        msg_id="m1",
        sent_time_ms=None,
        daily_quota=None,
        remaining_quota=None,
        request=("/message/template", {"phone": "84912345678"}),
        answer={"error": 0, "data": {"msg_id": "m1", "extra": nested(500)}},
    )
    payload = attempt_payload(result)
    assert depth_of(payload["answer"]) <= MAX_DEPTH
    assert payload["answer"]["data"]["msg_id"] == "m1"
