"""POST /zns/api/messages/<id>/resend/ and /cancel/: the admin's rules and permissions."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from tests.factories import MessageFactory
from tests.signal_capture import listening
from zns_notify import signals
from zns_notify.models import Message, MessageEvent

pytestmark = pytest.mark.django_db


def resend(pk: int) -> str:
    return reverse("zns_notify:api_message_resend", args=[pk])


def cancel(pk: int) -> str:
    return reverse("zns_notify:api_message_cancel", args=[pk])


def test_resend_answers_201_with_the_linked_copy(as_user, make_user):
    user = make_user("view_message", "resend_message")
    original = MessageFactory(status="failed")
    response = as_user(user).post(resend(original.pk))
    assert response.status_code == 201
    body = response.json()
    copy = Message.objects.get(pk=body["id"])
    assert body["resent_from"] == original.pk and body["status"] == "queued"
    assert body["phone"] == "********678"  # masked as everywhere without view_full_phone
    assert copy.idempotency_key != original.idempotency_key
    assert LogEntry.objects.filter(user=user).count() == 2
    assert MessageEvent.objects.filter(kind="note").count() == 2


def test_resend_without_the_permission_is_403_naming_it(as_user, reader):
    original = MessageFactory(status="failed")
    response = as_user(reader).post(resend(original.pk))
    assert response.status_code == 403
    assert "zns_notify.resend_message" in response.json()["detail"]
    assert Message.objects.count() == 1


def test_resend_of_a_message_not_final_is_409(as_user, make_user):
    user = make_user("view_message", "resend_message")
    waiting = MessageFactory(status="queued")
    response = as_user(user).post(resend(waiting.pk))
    assert response.status_code == 409
    assert "only a message whose outcome is final" in response.json()["detail"]
    assert Message.objects.count() == 1


def test_resend_of_an_unknown_message_is_404(as_user, make_user):
    user = make_user("view_message", "resend_message")
    assert as_user(user).post(resend(999999)).status_code == 404


def test_cancel_answers_200_and_announces_it(
    as_user, make_user, django_capture_on_commit_callbacks
):
    user = make_user("view_message", "cancel_message")
    message = MessageFactory(status="queued")
    with (
        listening(signals.message_skipped) as seen,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = as_user(user).post(cancel(message.pk))
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert [kwargs["rule"] for _signal, kwargs in seen] == ["operator"]


def test_cancel_refusals(as_user, make_user, reader):
    message = MessageFactory(status="sending")
    assert as_user(reader).post(cancel(message.pk)).status_code == 403
    user = make_user("view_message", "cancel_message")
    response = as_user(user).post(cancel(message.pk))
    assert response.status_code == 409
    assert "only a message still waiting" in response.json()["detail"]
    assert Message.objects.get().status == "sending"


def test_the_detail_timeline_has_the_attempt_payload_without_secrets(as_user, reader):
    message = MessageFactory(status="sent")
    MessageEvent.objects.create(
        message=message,
        kind="attempt",
        status="sent",
        payload={
            "request": {
                "path": "/message/template",
                "body": {"phone": "84912345678", "access_token": "secret"},
            },
            "answer": {"error": 0},
        },
    )
    entries = (
        as_user(reader)
        .get(reverse("zns_notify:api_message_detail", args=[message.pk]))
        .json()["timeline"]
    )
    payload = entries[-1]["payload"]
    assert payload["request"]["body"] == {"phone": "********678", "access_token": "[removed]"}
    assert payload["answer"] == {"error": 0}


def test_the_detail_timeline_hides_the_phones_hash_without_view_full_phone(as_user, reader):
    from zns_notify.zalo.client import hash_phone

    message = MessageFactory(status="sent")
    digest = hash_phone(message.phone)
    MessageEvent.objects.create(
        message=message,
        kind="attempt",
        status="sent",
        payload={
            "request": {"path": "/message/template/hashphone", "body": {"hash_phone": digest}},
            "answer": {"error": 0},
        },
    )
    response = as_user(reader).get(reverse("zns_notify:api_message_detail", args=[message.pk]))
    assert response.status_code == 200 and digest not in response.content.decode()


def test_a_second_resend_while_the_copy_is_under_way_is_409(as_user, make_user):
    client = as_user(make_user("view_message", "resend_message"))
    original = MessageFactory(status="failed")
    first = client.post(resend(original.pk))
    second = client.post(resend(original.pk))
    assert (first.status_code, second.status_code) == (201, 409)
    assert f"already resent as message #{first.json()['id']}" in second.json()["detail"]
    assert Message.objects.filter(resent_from=original).count() == 1


def test_a_webhook_entrys_status_is_its_outcome_code_in_any_language(as_user, reader, client):
    # The API answers codes ("applied"), never a label in the caller's language; the admin
    # shows the label in a badge whose class is the code.
    from django.utils import timezone

    from zns_notify.models import WebhookEvent

    message = MessageFactory(status="delivered", msg_id="m1")
    WebhookEvent.objects.create(
        event_name="user_received_message",
        dedup_key="d1",
        subject="m1",
        outcome="unmatched",
        received_at=timezone.now(),
        body="{}",
    )
    url = reverse("zns_notify:api_message_detail", args=[message.pk])
    entries = as_user(reader).get(url, HTTP_ACCEPT_LANGUAGE="vi").json()["timeline"]
    [hook] = [entry for entry in entries if entry["kind"] == "webhook"]
    assert hook["status"] == "unmatched"
    client.force_login(reader)
    html = client.get(
        reverse("admin:zns_notify_message_change", args=[message.pk]), HTTP_ACCEPT_LANGUAGE="vi"
    ).content.decode()
    assert '<span class="zns-badge zns-badge--unmatched">Đang chờ tin nhắn tương ứng</span>' in html


def test_resend_of_a_one_time_codes_message_is_409_with_the_reason(as_user, make_user):
    user = make_user("view_message", "resend_message")
    original = MessageFactory(status="failed", event="otp:login", params={"otp": "907153"})
    response = as_user(user).post(resend(original.pk))
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "a one-time code is never sent again; ask the customer to request a new one" in detail
    assert "907153" not in detail
    assert Message.objects.count() == 1
