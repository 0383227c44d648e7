"""The minimal Zalo webhook receiver: signatures, receipts, and every rejection path."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.test import Client

from zns_notify import signals
from zns_notify.models import Message, MessageEvent
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db

APP_ID = "3141592653589793238"
SECRET = "test-oa-secret-key"
URL = "/zns/webhook/"


def sign(body: bytes, app_id: str = APP_ID, timestamp: str = "1602560967477", secret: str = SECRET) -> str:
    return "mac=" + hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()


def receipt(msg_id: str = "15a0cc0bbb13bd4ce403", tracking_id: str = "", **overrides) -> bytes:
    payload = {
        "app_id": APP_ID, "event_name": "user_received_message",
        "sender": {"id": "2718281828459045235"}, "recipient": {"id": "84912345678"},
        "message": {"delivery_time": "1602960467432", "msg_id": msg_id, "tracking_id": tracking_id},
        "timestamp": "1602560967477",
    }
    payload.update(overrides)
    return json.dumps(payload).encode()


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def post(client, body: bytes, signature: str | None):
    headers = {} if signature is None else {"HTTP_X_ZEVENT_SIGNATURE": signature}
    return client.post(URL, data=body, content_type="application/json", **headers)


def test_signed_receipt_marks_the_message_delivered_and_signals(csrf_client, django_capture_on_commit_callbacks):
    message = MessageFactory(status=Message.Status.SENT, msg_id="15a0cc0bbb13bd4ce403")
    seen = []
    signals.message_delivered.connect(lambda **kw: seen.append(kw), weak=False, dispatch_uid="t")
    try:
        body = receipt()
        with django_capture_on_commit_callbacks(execute=True):
            response = post(csrf_client, body, sign(body))
    finally:
        signals.message_delivered.disconnect(dispatch_uid="t")
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert int(message.delivered_at.timestamp() * 1000) == 1602960467432
    assert len(seen) == 1 and seen[0]["message"].pk == message.pk


def test_signature_without_mac_prefix_is_accepted(csrf_client):
    message = MessageFactory(status=Message.Status.SENT, msg_id="m-1")
    body = receipt(msg_id="m-1")
    assert post(csrf_client, body, sign(body).removeprefix("mac=")).status_code == 200
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED


def test_receipt_matched_by_tracking_id_when_msg_id_unknown(csrf_client):
    message = MessageFactory(status=Message.Status.SENDING)
    body = receipt(msg_id="not-recorded-yet", tracking_id=message.idempotency_key)
    assert post(csrf_client, body, sign(body)).status_code == 200
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED


def test_duplicate_receipt_changes_nothing(csrf_client):
    message = MessageFactory(status=Message.Status.SENT, msg_id="m-2")
    body = receipt(msg_id="m-2")
    post(csrf_client, body, sign(body))
    post(csrf_client, body, sign(body))
    assert MessageEvent.objects.filter(message=message).count() == 1


def test_receipt_never_moves_a_final_message_back(csrf_client):
    message = MessageFactory(status=Message.Status.FAILED, msg_id="m-3")
    body = receipt(msg_id="m-3")
    assert post(csrf_client, body, sign(body)).status_code == 200
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED


@pytest.mark.parametrize(
    "make_signature",
    [
        lambda body: None,
        lambda body: "",
        lambda body: "mac=deadbeef",
        lambda body: sign(body, secret="wrong-secret"),
        lambda body: sign(body, secret="test-app-secret"),  # the app secret is not the key
        lambda body: sign(body + b" "),
    ],
    ids=["missing", "empty", "garbage", "wrong-secret", "app-secret", "other-body"],
)
def test_bad_signatures_are_rejected_without_change(csrf_client, make_signature, caplog):
    message = MessageFactory(status=Message.Status.SENT, msg_id="15a0cc0bbb13bd4ce403")
    body = receipt()
    response = post(csrf_client, body, make_signature(body))
    assert response.status_code == 400
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert "Rejected Zalo webhook" in caplog.text


def test_wrong_secret_log_names_the_setting(csrf_client, caplog):
    body = receipt()
    post(csrf_client, body, sign(body, secret="other"))
    assert 'ZNS_NOTIFY["OA_SECRET_KEY"]' in caplog.text


def test_unknown_app_id_is_rejected(csrf_client):
    body = receipt(app_id="999")
    assert post(csrf_client, body, sign(body, app_id="999")).status_code == 400


def test_non_ascii_app_id_and_signature_are_rejected_not_crashed(csrf_client):
    body = receipt(app_id="é")
    assert post(csrf_client, body, sign(body, app_id="é")).status_code == 400
    body = receipt()
    assert post(csrf_client, body, "mac=é" + "0" * 63).status_code == 400


def test_signed_receipt_with_a_malformed_message_is_ignored(csrf_client):
    message = MessageFactory(status=Message.Status.SENT, msg_id="15a0cc0bbb13bd4ce403")
    body = receipt(message="x")
    assert post(csrf_client, body, sign(body)).status_code == 200
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_rejections_do_not_tell_the_caller_which_check_failed(csrf_client):
    body = receipt(app_id="999")
    wrong_app = post(csrf_client, body, sign(body, app_id="999"))
    body = receipt()
    wrong_secret = post(csrf_client, body, sign(body, secret="x"))
    assert wrong_app.content == wrong_secret.content == b"Invalid signature."


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_malformed_bodies_are_rejected(csrf_client, body):
    assert post(csrf_client, body, sign(body)).status_code == 400


def test_oversized_body_is_rejected(csrf_client):
    body = receipt(padding="x" * 70_000)
    assert post(csrf_client, body, sign(body)).status_code == 400


def test_unknown_event_is_accepted_and_ignored(csrf_client):
    body = receipt(event_name="user_seen_message")
    assert post(csrf_client, body, sign(body)).status_code == 200


def test_only_post_is_allowed(csrf_client):
    assert csrf_client.get(URL).status_code == 405
