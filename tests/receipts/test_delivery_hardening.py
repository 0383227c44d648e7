"""Webhook and reconciler hardening: each case was found in review and is kept as a test."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import threading

import pytest
from django.contrib.auth.models import Permission, User
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.test import Client
from django.utils import timezone

from tests.factories import MessageFactory, TemplateFactory, ZaloAccountFactory
from tests.receipts.test_webhooks import APP_ID, URL, receipt, sign
from zns_notify.models import WebhookEvent
from zns_notify.receipts import inbox, matching
from zns_notify.receipts.views import ZaloWebhookView

POSTGRES = os.environ.get("ZNS_TEST_DB") == "postgres"


class CountingStream(io.BytesIO):
    """A spooled ASGI body: counts the bytes the view pulls out of it."""

    pulled = 0

    def read(self, size=-1):
        data = super().read(size)
        CountingStream.pulled += len(data)
        return data


@pytest.mark.django_db
def test_chunked_body_without_content_length_is_not_read_past_the_limit(settings):
    """A chunked body without a Content-Length is read no further than WEBHOOK_MAX_BODY + 1
    bytes, even when the host lifts DATA_UPLOAD_MAX_MEMORY_SIZE."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None  # a shop that accepts large uploads
    limit = 64 * 1024
    body = b'{"a": "' + b"x" * (8 * 1024 * 1024) + b'"}'
    CountingStream.pulled = 0
    stream = CountingStream(body)
    scope = {
        "type": "http",
        "method": "POST",
        "path": URL,
        "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        "query_string": b"",
        "server": ("testserver", 80),
    }
    request = ASGIRequest(scope, stream)
    response = ZaloWebhookView.as_view()(request)
    assert response.status_code == 413
    assert CountingStream.pulled <= limit + 1, f"read {CountingStream.pulled} bytes"


@pytest.mark.django_db
def test_status_minus_1_before_the_timeout_is_not_final(account, zalo_api):
    """-1 from the status API before the template's timeout leaves the message sent: Zalo's
    lookup may lag behind the send, and undelivered is final."""
    from zns_notify.receipts.reconcile import reconcile

    template = TemplateFactory(timeout_ms=2 * 3600 * 1000)
    message = MessageFactory(
        status="sent",
        msg_id="m-unknown",
        template=template,
        sent_at=timezone.now() - dt.timedelta(minutes=10),
    )
    zalo_api.rsps.add(
        "GET",
        "http://zalo.test/message/status",
        json={"error": 0, "message": "Success", "data": {"status": -1}},
    )
    reconcile(sleep=lambda s: None)
    message.refresh_from_db()
    assert message.status == "sent"
    # Zalo's receipt then arrives (within the template's timeout):
    client = Client(enforce_csrf_checks=True)
    body = receipt(msg_id="m-unknown")
    outcome = client.post(
        URL, data=body, content_type="application/json", HTTP_X_ZEVENT_SIGNATURE=sign(body)
    ).json()["outcome"]
    assert outcome == "applied"


@pytest.mark.django_db
def test_webhook_event_admin_does_not_bypass_view_full_phone(client):
    """The stored webhook body shows the recipient's phone masked to staff without
    view_full_phone, as the message log does."""
    MessageFactory(status="sent", msg_id="m-phone")
    body = receipt(msg_id="m-phone")  # recipient.id = 84912345678
    Client().post(
        URL, data=body, content_type="application/json", HTTP_X_ZEVENT_SIGNATURE=sign(body)
    )
    event = WebhookEvent.objects.get()
    staff = User.objects.create_user("auditor", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_webhookevent"))
    client.force_login(staff)
    page = client.get(f"/admin/zns_notify/webhookevent/{event.pk}/change/")
    assert page.status_code == 200
    assert b"84912345678" not in page.content


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL: SQLite's IMMEDIATE transactions serialize")
@pytest.mark.django_db(transaction=True)
def test_early_receipt_racing_the_workers_commit_is_not_lost():
    """A receipt that arrives while the worker's transaction storing the msg_id is still open
    is applied once both have committed."""
    from zns_notify.sending.claim import claim
    from zns_notify.sending.record import record_sent
    from zns_notify.zalo.client import SendResult

    ZaloAccountFactory(oa_id="2718281828459045235")
    message = MessageFactory()
    claimed = claim(message.idempotency_key)
    body = receipt(msg_id="early-race", tracking_id="")
    original = matching.apply_early_receipts
    outcomes = []

    def webhook():
        try:
            outcomes.append(inbox.receive(body, json.loads(body), APP_ID, None))
        finally:
            connections.close_all()

    def racing(msg):
        original(msg)  # the worker looks for early receipts: none yet
        thread = threading.Thread(target=webhook)  # Zalo's receipt lands now
        thread.start()
        thread.join(10)

    matching.apply_early_receipts = racing
    try:
        assert record_sent(claimed, SendResult("early-race", None, None, None))
    finally:
        matching.apply_early_receipts = original
    assert outcomes == ["unmatched"]
    message.refresh_from_db()
    assert message.status == "delivered", WebhookEvent.objects.values_list("outcome", flat=True)


@pytest.mark.django_db
def test_an_unset_rotation_key_is_not_the_key_none(settings):
    """An unset entry in OA_SECRET_KEYS (None from the environment) is no key at all, never the
    string "None"."""
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "OA_SECRET_KEYS": [None]}
    message = MessageFactory(status="sent", msg_id="forged-1")
    body = receipt(msg_id="forged-1")
    response = Client().post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_X_ZEVENT_SIGNATURE=sign(body, secret="None"),
    )
    message.refresh_from_db()
    assert response.status_code == 400 and message.status == "sent"


@pytest.mark.django_db
def test_a_retried_status_change_older_than_the_last_sync_is_not_applied():
    """A template status change signed before the last template sync (a late retry by Zalo)
    does not overwrite what the sync read."""
    import time

    from tests.receipts.test_webhook_events import deliver_event, template_status

    template = TemplateFactory(status="ENABLE", synced_at=timezone.now() - dt.timedelta(minutes=5))
    now = int(time.time() * 1000)
    response = deliver_event(
        Client(), template_status(template.template_id, "DISABLE"), at_ms=now - 30 * 60_000
    )
    template.refresh_from_db()
    assert template.status == "ENABLE", response.json()


@pytest.mark.django_db
def test_a_message_whose_status_call_always_errors_is_not_polled_forever(account, zalo_api):
    """A message long past its timeout whose status cannot be read is settled as undelivered
    instead of being asked about forever."""
    from zns_notify.receipts.reconcile import reconcile

    message = MessageFactory(
        status="sent", msg_id="m-old", sent_at=timezone.now() - dt.timedelta(days=30)
    )
    zalo_api.rsps.add(
        "GET",
        "http://zalo.test/message/status",
        json={"error": -201, "message": "Invalid parameter", "data": None},
    )
    reconcile(sleep=lambda s: None)
    message.refresh_from_db()
    assert message.status != "sent" or message.next_status_check_at is None, (
        message.status,
        message.next_status_check_at,
    )
