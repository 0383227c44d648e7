"""Staff without ``view_full_phone`` never read the recipient's number, however a parameter
wrote it: in the timeline's attempt payload on the admin page and in the API, in the
rendered parameters, in the log's CSV and in a stored webhook's body."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import MessageFactory
from tests.log.test_delivery_log import attempt
from tests.users import staff_user
from zns_notify.models import WebhookEvent

pytestmark = pytest.mark.django_db

TYPED = ["0912 345 671", "+84 912-345-671", "0912.345.671", "(091) 234-5671", "84 0912 345 671"]


def message_with_typed_phone(typed: str):
    message = MessageFactory(
        phone="84912345671",
        status="sent",
        params={"contact": typed},
        error_message=f"Provider refused {typed}",
    )
    attempt(message, template_data={"contact": typed, "name": "Lan"})
    return message


def reader(*extra: str):
    user = staff_user("view_message", *extra)
    admin, api = Client(), APIClient()
    admin.force_login(user)
    api.force_authenticate(user)
    return admin, api


@pytest.mark.parametrize("typed", TYPED)
def test_the_typed_phone_is_masked_everywhere_for_staff_without_the_permission(typed):
    message = message_with_typed_phone(typed)
    admin, api = reader()
    page = admin.get(reverse("admin:zns_notify_message_change", args=[message.pk]))
    assert page.status_code == 200
    detail = api.get(f"/zns/api/messages/{message.pk}/")
    assert detail.status_code == 200
    export = admin.get(reverse("admin:zns_notify_message_export"))
    csv = b"".join(export.streaming_content).decode()
    for text in (page.content.decode(), detail.content.decode(), csv):
        assert typed not in text and "912345671" not in text
        digits = "".join(c for c in text if c.isdigit())
        assert "912345671" not in digits.replace("0912345671", "")
    assert detail.json()["timeline"][-1]["payload"]["request"]["body"]["template_data"][
        "contact"
    ].endswith("671")
    assert "Lan" in detail.content.decode()


def test_staff_with_the_permission_see_the_number_as_typed():
    message = message_with_typed_phone("0912 345 671")
    admin, api = reader("view_full_phone")
    detail = api.get(f"/zns/api/messages/{message.pk}/").json()
    assert detail["timeline"][-1]["payload"]["request"]["body"]["template_data"] == {
        "contact": "0912 345 671",
        "name": "Lan",
    }
    page = admin.get(reverse("admin:zns_notify_message_change", args=[message.pk]))
    assert "0912 345 671" in page.content.decode()


def test_a_stored_webhook_body_masks_any_spelling_of_a_number():
    event = WebhookEvent.objects.create(
        event_name="user_feedback",
        dedup_key="k",
        body='{"message": {"note": "Gọi lại 0912.345.671 giúp tôi"}, '
        '"recipient": {"id": "84912345671"}}',
        outcome="applied",
    )
    admin, _api = reader("view_webhookevent")
    page = admin.get(reverse("admin:zns_notify_webhookevent_change", args=[event.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "0912.345.671" not in text and "84912345671" not in text and ".671" in text
