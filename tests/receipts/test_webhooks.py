"""The Zalo webhook receiver: signatures, receipts, and every rejection path."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
from django.test import Client

from tests.factories import MessageFactory
from zns_notify import signals
from zns_notify.models import Message, MessageEvent, WebhookEvent

pytestmark = pytest.mark.django_db

APP_ID = "3141592653589793238"
SECRET = "test-oa-secret-key"
URL = "/zns/webhook/"


def now_ms() -> str:
    return str(int(time.time() * 1000))


def sign(
    body: bytes, app_id: str = APP_ID, timestamp: str | None = None, secret: str = SECRET
) -> str:
    if timestamp is None:
        try:
            timestamp = str(json.loads(body).get("timestamp", ""))
        except (ValueError, AttributeError):
            timestamp = ""
    return (
        "mac="
        + hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()
    )


def receipt(msg_id: str = "15a0cc0bbb13bd4ce403", tracking_id: str = "", **overrides) -> bytes:
    payload = {
        "app_id": APP_ID,
        "event_name": "user_received_message",
        "sender": {"id": "2718281828459045235"},
        "recipient": {"id": "84912345678"},
        "message": {"delivery_time": "1602960467432", "msg_id": msg_id, "tracking_id": tracking_id},
        "timestamp": now_ms(),
    }
    payload.update(overrides)
    return json.dumps(payload).encode()


def state() -> tuple:
    """Everything a webhook may change, to compare before and after a rejection."""
    return (
        list(Message.objects.order_by("pk").values_list("pk", "status", "delivered_at")),
        MessageEvent.objects.count(),
        WebhookEvent.objects.count(),
    )


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def post(client, body: bytes, signature: str | None):
    headers = {} if signature is None else {"HTTP_X_ZEVENT_SIGNATURE": signature}
    return client.post(URL, data=body, content_type="application/json", **headers)


def test_signed_receipt_marks_the_message_delivered_and_signals(
    csrf_client, django_capture_on_commit_callbacks
):
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
    before = state()
    body = receipt(padding="x" * 70_000)
    assert post(csrf_client, body, sign(body)).status_code == 413
    assert state() == before


def test_unknown_event_is_accepted_and_ignored(csrf_client):
    body = receipt(event_name="user_seen_message")
    assert post(csrf_client, body, sign(body)).status_code == 200


def test_only_post_is_allowed(csrf_client):
    assert csrf_client.get(URL).status_code == 405


# -- issue 4: the security matrix, each rejection with no state change ----------------------


@pytest.fixture
def sent():
    return MessageFactory(status=Message.Status.SENT, msg_id="15a0cc0bbb13bd4ce403")


def test_valid_receipt_is_stored_with_its_raw_body(csrf_client, sent):
    body = receipt()
    response = post(csrf_client, body, sign(body))
    assert response.status_code == 200 and response.json()["outcome"] == "applied"
    event = WebhookEvent.objects.get()
    assert event.body.encode() == body
    assert event.event_name == "user_received_message"
    assert event.subject == "15a0cc0bbb13bd4ce403" and event.app_id == APP_ID
    assert event.outcome == "applied" and event.processed_at is not None
    assert int(event.signed_at.timestamp() * 1000) == int(json.loads(body)["timestamp"])
    assert len(event.dedup_key) == 64


@pytest.mark.parametrize(
    "make_signature, status",
    [
        (lambda body: None, 400),
        (lambda body: sign(body)[:-1] + ("0" if sign(body)[-1] != "0" else "1"), 400),
        (lambda body: sign(body, secret="wrong-secret"), 400),
        (lambda body: sign(body, app_id="999"), 400),
    ],
    ids=["missing", "bad", "wrong-secret", "other-app-id-in-hash"],
)
def test_rejected_signatures_change_nothing(csrf_client, sent, make_signature, status):
    before = state()
    body = receipt()
    assert post(csrf_client, body, make_signature(body)).status_code == status
    assert state() == before


def test_rotated_secret_is_accepted_from_oa_secret_keys(csrf_client, sent, settings):
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "OA_SECRET_KEY": "new-key",
        "OA_SECRET_KEYS": ["older-key", SECRET],
    }
    body = receipt()
    assert post(csrf_client, body, sign(body)).status_code == 200  # the previous key
    other = receipt(msg_id="other")
    assert post(csrf_client, other, sign(other, secret="new-key")).status_code == 200
    bad = receipt(msg_id="third")
    assert post(csrf_client, bad, sign(bad, secret="retired")).status_code == 400


def test_only_oa_secret_keys_set_is_enough(csrf_client, sent, settings):
    zns = {k: v for k, v in settings.ZNS_NOTIFY.items() if k != "OA_SECRET_KEY"}
    settings.ZNS_NOTIFY = {**zns, "OA_SECRET_KEYS": SECRET}
    body = receipt()
    assert post(csrf_client, body, sign(body)).status_code == 200


def test_no_key_configured_answers_503_and_names_the_settings(csrf_client, sent, settings, caplog):
    settings.ZNS_NOTIFY = {k: v for k, v in settings.ZNS_NOTIFY.items() if k != "OA_SECRET_KEY"}
    before = state()
    body = receipt()
    assert post(csrf_client, body, sign(body)).status_code == 503
    assert state() == before
    assert 'ZNS_NOTIFY["OA_SECRET_KEY"] / ["OA_SECRET_KEYS"]' in caplog.text


def test_replayed_event_changes_nothing_the_second_time(csrf_client, sent):
    body = receipt()
    assert post(csrf_client, body, sign(body)).status_code == 200
    after_first = state()
    response = post(csrf_client, body, sign(body))
    assert response.status_code == 200 and response.json()["outcome"] == "duplicate"
    assert state() == after_first


@pytest.mark.parametrize("age", [3 * 3600 + 60, -10 * 60], ids=["stale", "future"])
def test_timestamp_outside_the_window_is_rejected(csrf_client, sent, caplog, age):
    before = state()
    body = receipt(timestamp=str(int((time.time() - age) * 1000)))
    assert post(csrf_client, body, sign(body)).status_code == 400
    assert state() == before
    assert 'ZNS_NOTIFY["WEBHOOK_MAX_AGE"]' in caplog.text


def test_an_hour_old_retry_is_within_the_default_window(csrf_client, sent):
    body = receipt(timestamp=str(int((time.time() - 3600 - 15 * 60) * 1000)))
    assert post(csrf_client, body, sign(body)).status_code == 200


def test_window_is_configurable_and_can_be_switched_off(csrf_client, sent, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "WEBHOOK_MAX_AGE": 60}
    body = receipt(timestamp=str(int((time.time() - 120) * 1000)))
    assert post(csrf_client, body, sign(body)).status_code == 400
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "WEBHOOK_MAX_AGE": 0}
    assert post(csrf_client, body, sign(body)).status_code == 200


@pytest.mark.parametrize("timestamp", [None, "", "soon", "1e3", {"ms": 1}])
def test_missing_or_unreadable_timestamp_is_rejected(csrf_client, sent, timestamp):
    before = state()
    body = receipt(timestamp=timestamp)
    assert (
        post(csrf_client, body, sign(body, timestamp="" if timestamp is None else None)).status_code
        == 400
    )
    assert state() == before


def test_oversized_body_is_refused_by_its_content_length_and_names_the_setting(
    csrf_client, sent, settings, caplog
):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "WEBHOOK_MAX_BODY": 300}
    before = state()
    body = receipt(padding="x" * 300)
    assert post(csrf_client, body, sign(body)).status_code == 413
    assert state() == before
    assert 'ZNS_NOTIFY["WEBHOOK_MAX_BODY"]' in caplog.text


@pytest.mark.parametrize("body", [b"{", b'{"a": 1', b"[" * 100_000 + b"]" * 100_000, b"\xc3\x28{}"])
def test_malformed_json_changes_nothing(csrf_client, sent, settings, body):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "WEBHOOK_MAX_BODY": 1_000_000}
    before = state()
    assert post(csrf_client, body, sign(body, timestamp="")).status_code == 400
    assert state() == before


def test_unknown_event_is_stored_and_answered_200(csrf_client):
    body = receipt(event_name="user_seen_message")
    response = post(csrf_client, body, sign(body))
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    event = WebhookEvent.objects.get()
    assert event.event_name == "user_seen_message" and event.body.encode() == body


def test_unknown_app_id_changes_nothing_and_names_the_setting(csrf_client, sent, caplog):
    before = state()
    body = receipt(app_id="999")
    assert post(csrf_client, body, sign(body, app_id="999")).status_code == 400
    assert state() == before
    assert 'ZNS_NOTIFY["APP_ID"]' in caplog.text


def test_event_without_app_id_is_verified_with_ours(csrf_client, sent):
    payload = json.loads(receipt())
    del payload["app_id"]
    body = json.dumps(payload).encode()
    assert post(csrf_client, body, sign(body)).status_code == 200


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_methods_get_405(csrf_client, sent, method):
    before = state()
    body = receipt()
    response = csrf_client.generic(
        method.upper(),
        URL,
        data=body,
        content_type="application/json",
        HTTP_X_ZEVENT_SIGNATURE=sign(body),
    )
    assert response.status_code == 405
    assert state() == before


def test_csrf_enforcing_client_gets_200_for_a_signed_post(csrf_client, sent):
    assert csrf_client.handler.enforce_csrf_checks
    body = receipt()
    assert post(csrf_client, body, sign(body)).status_code == 200


def test_no_login_needed_even_with_login_required_middleware(sent, settings):
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
    ]
    body = receipt()
    assert post(Client(enforce_csrf_checks=True), body, sign(body)).status_code == 200


def test_processing_error_answers_500_keeps_the_event_and_the_retry_applies_it(
    csrf_client, sent, monkeypatch
):
    from zns_notify.receipts import handlers

    real = handlers.HANDLERS["user_received_message"]

    def broken(incoming):
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(
        handlers.HANDLERS,
        "user_received_message",
        handlers.EventHandler(real.identity, broken),
    )
    body = receipt()
    assert post(csrf_client, body, sign(body)).status_code == 500
    sent.refresh_from_db()
    assert sent.status == Message.Status.SENT
    event = WebhookEvent.objects.get()
    assert event.outcome == "error" and event.processed_at is None
    assert "database hiccup" in event.detail

    monkeypatch.setitem(handlers.HANDLERS, "user_received_message", real)
    assert post(csrf_client, body, sign(body)).status_code == 200  # Zalo's retry
    sent.refresh_from_db()
    assert sent.status == Message.Status.DELIVERED
    event = WebhookEvent.objects.get()
    assert event.outcome == "applied" and event.processed_at is not None


def test_answers_quickly(csrf_client, sent):
    body = receipt()
    started = time.perf_counter()
    post(csrf_client, body, sign(body))
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("field", ["app_id", "timestamp", "event_name"])
def test_lone_surrogates_and_nul_in_fields_are_refused_or_stored_not_crashed(csrf_client, field):
    payload = json.loads(receipt())
    payload[field] = payload[field] + "\ud800\u0000"
    body = json.dumps(payload).encode()  # ASCII: the JSON escapes them
    from zns_notify.zalo.webhooks import text

    signature = sign(
        body, app_id=text(payload["app_id"], 200), timestamp=text(payload["timestamp"], 40)
    )
    assert post(csrf_client, body, signature).status_code in (200, 400)


def test_signed_receipt_with_odd_ids_is_stored(csrf_client):
    body = receipt(msg_id="\ud800m\u0000", tracking_id="\udfff")
    response = post(csrf_client, body, sign(body))
    assert response.status_code == 200 and response.json()["outcome"] == "unmatched"
    assert WebhookEvent.objects.get().subject == "m"
