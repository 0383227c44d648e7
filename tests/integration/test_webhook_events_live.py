"""Zalo's other events, posted by the sandbox to the live webhook, signed like Zalo."""

from __future__ import annotations

import pytest
import requests

from tests.integration.conftest import wait_until
from zns_notify.bindings.template_sync import sync_templates
from zns_notify.models import MessageFeedback, Template, WebhookEvent, ZaloAccount, ZaloQuota

pytestmark = pytest.mark.django_db(transaction=True)


def emit(server, **body):
    response = requests.post(f"{server.url}/_sandbox/events", json=body, timeout=5)
    assert response.status_code == 200, response.text


def test_template_status_quality_and_quota_events_reach_the_database(connected):
    sync_templates()
    ZaloAccount.objects.update(oa_id=connected.state.config.oa_id)
    emit(
        connected,
        event_name="change_template_status",
        template_id="100003",
        status="DISABLE",
        reason="Mẫu bị khóa",
    )
    assert wait_until(lambda: Template.objects.get(template_id="100003").status == "DISABLE")
    assert Template.objects.get(template_id="100003").reason == "Mẫu bị khóa"
    emit(connected, event_name="change_template_quality", template_id="100003", quality="LOW")
    assert wait_until(lambda: Template.objects.get(template_id="100003").quality == "LOW")
    emit(connected, event_name="change_oa_daily_quota", daily_quota=50_000)
    assert wait_until(lambda: ZaloQuota.objects.filter(daily_quota=50_000).exists())
    emit(connected, payload={"event_name": "user_seen_message"})
    assert wait_until(lambda: WebhookEvent.objects.filter(event_name="user_seen_message").exists())
    # The sandbox records each answer once it has read it, a moment after our commit.
    assert wait_until(
        lambda: all(
            w["status"] == "delivered"
            for w in requests.get(f"{connected.url}/_sandbox/webhooks", timeout=5).json()[
                "webhooks"
            ]
        )
    )


def test_feedback_for_a_sandbox_message_is_linked(connected):
    from tests.factories import MessageFactory
    from zns_notify.models import Message

    sent = requests.post(
        f"{connected.url}/message/template",
        timeout=5,
        headers={"access_token": ZaloAccount.objects.get().access_token},
        json={
            "phone": "84912345678",
            "template_id": "100006",
            "template_data": {"customer_name": "Lan", "order_code": "DH1"},
            "tracking_id": "zns-track-1",
        },
    ).json()["data"]
    message = MessageFactory(
        status=Message.Status.SENT, msg_id=sent["msg_id"], idempotency_key="zns-track-1"
    )
    emit(connected, event_name="user_feedback", msg_id=sent["msg_id"], rate=5, note="Tốt")
    assert wait_until(lambda: MessageFeedback.objects.filter(message=message).exists())
    assert MessageFeedback.objects.get().rate == 5
