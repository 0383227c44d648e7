"""The received-webhooks admin hides recipients' numbers from staff without
``view_full_phone``: in the body it shows, and in what the URL may filter on."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from zns_notify.models import WebhookEvent

pytestmark = pytest.mark.django_db

LIST = reverse("admin:zns_notify_webhookevent_changelist")


@pytest.fixture
def receipt():
    return WebhookEvent.objects.create(
        event_name="user_received_message",
        dedup_key="d1",
        subject="m1",
        outcome="applied",
        received_at=timezone.now(),
        body='{"recipient": {"id": "84912345678"}, "message": {"msg_id": "m1"}}',
    )


def login(client, *codenames):
    user = User.objects.create_user("operator", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)


def test_the_body_cannot_be_filtered_by_number_without_view_full_phone(client, receipt):
    # ?body__contains=8491… one digit at a time would spell out the number the page masks.
    login(client, "view_webhookevent")
    assert client.get(LIST, {"body__contains": "8491234"}).status_code == 400
    html = client.get(
        reverse("admin:zns_notify_webhookevent_change", args=[receipt.pk])
    ).content.decode()
    assert "84912345678" not in html and "********678" in html


def test_staff_with_view_full_phone_may_filter_the_body(client, receipt):
    login(client, "view_webhookevent", "view_full_phone")
    response = client.get(LIST, {"body__contains": "8491234"})
    assert response.status_code == 200 and "m1" in response.content.decode()


def test_a_hashed_recipient_is_masked_like_the_number(client):
    # With HASH_PHONE, Zalo's receipt names the recipient by the number's SHA-256, which
    # gives the number back in seconds (Vietnamese mobile numbers are few).
    from zns_notify.zalo.client import hash_phone

    digest = hash_phone("84912345678")
    hook = WebhookEvent.objects.create(
        event_name="user_received_message",
        dedup_key="d2",
        subject="m2",
        outcome="applied",
        received_at=timezone.now(),
        body=f'{{"recipient": {{"id": "{digest}"}}, "message": {{"msg_id": "m2"}}}}',
    )
    login(client, "view_webhookevent")
    html = client.get(
        reverse("admin:zns_notify_webhookevent_change", args=[hook.pk])
    ).content.decode()
    assert digest not in html and digest[:16] not in html and digest[-3:] in html
