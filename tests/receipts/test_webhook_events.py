"""What each verified webhook event does: receipts (forward only, late, early), template
status and quality, the OA's daily quota, customers' ratings."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import BindingFactory, MessageFactory, TemplateFactory, ZaloAccountFactory
from tests.receipts.test_webhooks import APP_ID, URL, now_ms, receipt, sign
from zns_notify.lib import clock
from zns_notify.models import (
    Message,
    MessageEvent,
    MessageFeedback,
    SendingHold,
    Template,
    WebhookEvent,
    ZaloQuota,
)

pytestmark = pytest.mark.django_db
OA_ID = "2718281828459045235"


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)


def deliver_event(client, payload: dict, *, at_ms: int | None = None):
    payload = {"app_id": APP_ID, "timestamp": str(at_ms) if at_ms else now_ms(), **payload}
    body = json.dumps(payload, ensure_ascii=False).encode()
    return client.post(
        URL, data=body, content_type="application/json", HTTP_X_ZEVENT_SIGNATURE=sign(body)
    )


def send_receipt(client, **kwargs):
    body = receipt(**kwargs)
    return client.post(
        URL, data=body, content_type="application/json", HTTP_X_ZEVENT_SIGNATURE=sign(body)
    )


# -- receipts ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["queued", "sending", "sent"])
def test_receipt_moves_forward_to_delivered(client, status):
    message = MessageFactory(status=status, msg_id="m-1")
    assert send_receipt(client, msg_id="m-1").json()["outcome"] == "applied"
    message.refresh_from_db()
    assert message.status == "delivered"
    assert int(message.delivered_at.timestamp() * 1000) == 1602960467432


def test_a_second_receipt_with_another_body_never_moves_delivered_back_or_twice(client):
    message = MessageFactory(status="sent", msg_id="m-1")
    send_receipt(client, msg_id="m-1")
    first = Message.objects.get(pk=message.pk).delivered_at
    response = send_receipt(client, msg_id="m-1", recipient={"id": "other"})
    assert response.status_code == 200 and response.json()["outcome"] == "duplicate"
    message.refresh_from_db()
    assert message.status == "delivered" and message.delivered_at == first
    assert MessageEvent.objects.filter(message=message).count() == 1


@pytest.mark.parametrize("status", ["failed", "undelivered", "cancelled"])
def test_receipt_for_a_final_message_is_a_late_delivery_not_a_regression(client, status):
    message = MessageFactory(status=status, msg_id="m-2")
    response = send_receipt(client, msg_id="m-2")
    assert response.status_code == 200 and response.json()["outcome"] == "late"
    message.refresh_from_db()
    assert message.status == status
    assert int(message.delivered_at.timestamp() * 1000) == 1602960467432
    [entry] = MessageEvent.objects.filter(message=message)
    assert entry.kind == "receipt" and entry.status == status
    assert "Late delivery" in entry.detail and "bill" in entry.detail
    assert WebhookEvent.objects.get().outcome == "late"


def test_late_delivery_is_recorded_once(client):
    message = MessageFactory(status="failed", msg_id="m-2")
    send_receipt(client, msg_id="m-2")
    send_receipt(client, msg_id="", tracking_id=message.idempotency_key)
    assert MessageEvent.objects.filter(message=message).count() == 1


def test_late_delivery_sends_no_delivered_signal(client, django_capture_on_commit_callbacks):
    from zns_notify import signals

    MessageFactory(status="failed", msg_id="m-2")
    seen = []
    signals.message_delivered.connect(lambda **kw: seen.append(kw), weak=False, dispatch_uid="late")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            send_receipt(client, msg_id="m-2")
    finally:
        signals.message_delivered.disconnect(dispatch_uid="late")
    assert seen == []


def test_receipt_before_the_worker_stored_msg_id_is_applied_when_it_does(client, account):
    from zns_notify.sending.claim import claim
    from zns_notify.sending.record import record_sent
    from zns_notify.zalo.client import SendResult

    message = MessageFactory()
    claimed = claim(message.idempotency_key)
    # Zalo's receipt, without a tracking_id, beats the worker's write of msg_id.
    response = send_receipt(client, msg_id="early-1", tracking_id="")
    assert response.json()["outcome"] == "unmatched"
    message.refresh_from_db()
    assert message.status == "sending"
    assert record_sent(claimed, SendResult("early-1", None, None, None)) is True
    message.refresh_from_db()
    assert message.status == "delivered" and message.msg_id == "early-1"
    assert int(message.delivered_at.timestamp() * 1000) == 1602960467432
    event = WebhookEvent.objects.get()
    assert event.outcome == "applied"


def test_receipt_matched_by_tracking_id_while_sending(client):
    message = MessageFactory(status="sending")
    send_receipt(client, msg_id="zalo-id", tracking_id=message.idempotency_key)
    message.refresh_from_db()
    assert message.status == "delivered"


@pytest.fixture
def account():
    return ZaloAccountFactory(oa_id=OA_ID)


# -- templates ----------------------------------------------------------------------------


def template_status(template_id: str, new: str, prev: str = "ENABLE", **extra) -> dict:
    return {
        "event_name": "change_template_status",
        "oa_id": OA_ID,
        "template_id": template_id,
        "status": {"prev_status": prev, "new_status": new},
        "reason": "Mẫu vi phạm chính sách",
        **extra,
    }


def test_template_disabled_flags_its_bindings(client):
    from zns_notify.bindings.validation import fitness_problems

    binding = BindingFactory()
    template = binding.template
    response = deliver_event(client, template_status(template.template_id, "DISABLE"))
    assert response.status_code == 200 and response.json()["outcome"] == "applied"
    template.refresh_from_db()
    assert template.status == "DISABLE" and template.reason == "Mẫu vi phạm chính sách"
    assert "ENABLE" in template.sync_note and "DISABLE" in template.sync_note
    binding.refresh_from_db()
    assert any("not ENABLE" in p for p in fitness_problems(binding))
    assert "1 active binding" in WebhookEvent.objects.get().detail


def test_template_enabled_again_releases_its_holds(client, account):
    template = TemplateFactory(status="DISABLE")
    message = MessageFactory(
        template=template,
        status="queued",
        error_category="config",
        next_attempt_at=timezone.now() + dt.timedelta(hours=1),
    )
    SendingHold.objects.create(
        account=account,
        template=template,
        reason="disabled",
        until=timezone.now() + dt.timedelta(hours=1),
    )
    deliver_event(client, template_status(template.template_id, "ENABLE", prev="DISABLE"))
    template.refresh_from_db()
    assert template.status == "ENABLE"
    assert not SendingHold.objects.get().is_active
    message.refresh_from_db()
    assert message.next_attempt_at <= timezone.now()


def test_an_older_status_change_arriving_late_is_not_applied(client):
    template = TemplateFactory(status="ENABLE")
    now = int(time.time() * 1000)
    deliver_event(client, template_status(template.template_id, "DISABLE"), at_ms=now)
    late = deliver_event(
        client,
        template_status(template.template_id, "ENABLE", "PENDING_REVIEW"),
        at_ms=now - 60_000,
    )
    assert late.json()["outcome"] == "stale"
    template.refresh_from_db()
    assert template.status == "DISABLE"


def test_status_change_of_an_unknown_template_is_stored_and_ignored(client):
    response = deliver_event(client, template_status("999999", "ENABLE"))
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    assert not Template.objects.exists()


def test_template_quality(client):
    template = TemplateFactory(quality="HIGH")
    deliver_event(
        client,
        {
            "event_name": "change_template_quality",
            "oa_id": OA_ID,
            "template_id": template.template_id,
            "quality": "LOW",
        },
    )
    template.refresh_from_db()
    assert template.quality == "LOW"


# -- quota --------------------------------------------------------------------------------


def quota_event(prev, new) -> dict:
    return {
        "event_name": "change_oa_daily_quota",
        "oaId": OA_ID,
        "quota": {"prev_value": prev, "new_value": new},
    }


def test_daily_quota_change_updates_the_ledger(client, account):
    ZaloQuota.objects.create(
        account=account, day=clock.local_day(), daily_quota=1000, remaining_quota=400
    )
    response = deliver_event(client, quota_event(1000, 2000))
    assert response.json()["outcome"] == "applied"
    row = ZaloQuota.objects.get()
    assert (row.daily_quota, row.remaining_quota) == (2000, 1400)


def test_daily_quota_raised_from_used_up_releases_waiting_messages(client, account):
    ZaloQuota.objects.create(
        account=account, day=clock.local_day(), daily_quota=1000, remaining_quota=0
    )
    waiting = MessageFactory(
        status="queued",
        error_category="reschedule",
        next_attempt_at=timezone.now() + dt.timedelta(hours=5),
    )
    deliver_event(client, quota_event("1000", "5000"))
    assert ZaloQuota.objects.get().remaining_quota == 4000
    waiting.refresh_from_db()
    assert waiting.next_attempt_at <= timezone.now()


def test_daily_quota_without_a_ledger_row_creates_one(client, account):
    deliver_event(client, quota_event(1000, 500))
    row = ZaloQuota.objects.get()
    assert (row.daily_quota, row.remaining_quota) == (500, None)


def test_daily_quota_of_minus_one_is_no_limit_and_frees_the_waiting(client, account):
    """Issue 15 §2: the "unrestricted" tier's value is undocumented; -1 is no limit."""
    ZaloQuota.objects.create(
        account=account, day=clock.local_day(), daily_quota=1000, remaining_quota=0
    )
    waiting = MessageFactory(
        status="queued",
        error_category="reschedule",
        next_attempt_at=timezone.now() + dt.timedelta(hours=5),
    )
    assert deliver_event(client, quota_event("1000", "-1")).json()["outcome"] == "applied"
    row = ZaloQuota.objects.get()
    assert row.unlimited and (row.daily_quota, row.remaining_quota) == (None, None)
    waiting.refresh_from_db()
    assert waiting.next_attempt_at <= timezone.now()


def test_daily_quota_of_another_oa_is_ignored(client, account):
    payload = quota_event(1000, 500) | {"oaId": "someone-else"}
    assert deliver_event(client, payload).json()["outcome"] == "ignored"
    assert not ZaloQuota.objects.exists()


# -- ratings ------------------------------------------------------------------------------


def feedback(msg_id="7e4c33cfc20b05575c18", tracking_id="", **message) -> dict:
    return {
        "event_name": "user_feedback",
        "oa_id": OA_ID,
        "message": {
            "rating_type": "csat",
            "option": "five_emotions",
            "note": "Tôi rất hài lòng.",
            "rate": 5,
            "submit_time": "1616673095659",
            "msg_id": msg_id,
            "feedbacks": ["Nhân viên vui vẻ"],
            "tracking_id": tracking_id,
            **message,
        },
    }


def test_feedback_is_stored_linked_to_its_message(client):
    message = MessageFactory(status="delivered", msg_id="7e4c33cfc20b05575c18")
    assert deliver_event(client, feedback()).json()["outcome"] == "applied"
    row = MessageFeedback.objects.get()
    assert row.message == message and row.rate == 5 and row.note == "Tôi rất hài lòng."
    assert row.feedbacks == ["Nhân viên vui vẻ"] and row.rating_type == "csat"
    assert int(row.submitted_at.timestamp() * 1000) == 1616673095659


def test_feedback_linked_by_tracking_id(client):
    message = MessageFactory(status="delivered")
    deliver_event(client, feedback(msg_id="unknown", tracking_id=message.idempotency_key))
    assert MessageFeedback.objects.get().message == message


def test_feedback_for_an_unknown_message_is_kept(client):
    assert deliver_event(client, feedback()).json()["outcome"] == "unmatched"
    assert MessageFeedback.objects.get().message is None


def test_feedback_delivered_twice_is_stored_once(client):
    payload = feedback()
    deliver_event(client, payload, at_ms=int(time.time() * 1000))
    deliver_event(client, payload, at_ms=int(time.time() * 1000) + 1)  # re-signed retry
    assert MessageFeedback.objects.count() == 1


def test_odd_types_in_a_signed_feedback_do_not_crash(client):
    response = deliver_event(
        client, feedback(rate="five", feedbacks="x", note={"a": 1}, submit_time="later")
    )
    assert response.status_code == 200
    row = MessageFeedback.objects.get()
    assert row.rate is None and row.feedbacks == [] and row.note == "" and row.submitted_at is None


# -- admin --------------------------------------------------------------------------------


def test_admin_lists_events_and_ratings_read_only(client, admin_client):
    MessageFactory(status="sent", msg_id="m-1")
    send_receipt(client, msg_id="m-1")
    deliver_event(client, feedback(msg_id="m-1"))
    for model in ("webhookevent", "messagefeedback"):
        page = admin_client.get(f"/admin/zns_notify/{model}/")
        assert page.status_code == 200
        assert admin_client.get(f"/admin/zns_notify/{model}/add/").status_code == 403
    event = WebhookEvent.objects.filter(event_name="user_received_message").get()
    page = admin_client.get(f"/admin/zns_notify/webhookevent/{event.pk}/change/")
    assert page.status_code == 200 and b"user_received_message" in page.content


def test_receipt_before_a_batch_stored_msg_id_is_applied_when_it_does(client, account):
    from zns_notify.sending.claim import claim_keys
    from zns_notify.sending.record import Outcome, record_all
    from zns_notify.zalo.client import SendResult

    early, other = MessageFactory(), MessageFactory()
    claimed = claim_keys([early.idempotency_key, other.idempotency_key])
    send_receipt(client, msg_id="early-2", tracking_id="")
    results = {
        early.pk: SendResult("early-2", None, None, None),
        other.pk: SendResult("other-2", None, None, None),
    }
    assert record_all([Outcome(m, results[m.pk]) for m in claimed], account) == 2
    early.refresh_from_db()
    other.refresh_from_db()
    assert (early.status, early.msg_id) == ("delivered", "early-2")
    assert (other.status, other.msg_id) == ("sent", "other-2")
    assert WebhookEvent.objects.get().outcome == "applied"
