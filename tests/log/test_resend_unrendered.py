"""A message whose rendering failed has no parameters: a resend would send Zalo
``template_data: {}`` (refused, -111) and then a paid SMS with blank fields. Every resend
path refuses it with the reason (one check, :func:`zns_notify.log.actions.check_resend`)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.factories import MessageFactory
from tests.users import staff_user
from zns_notify.log import actions as log_actions
from zns_notify.models import Message

pytestmark = pytest.mark.django_db

REASON = "Parameter order_code is required but rendered empty."


def unrendered(**fields) -> Message:
    return MessageFactory(
        status="failed", error_category="payload", error_message=REASON, params={}, **fields
    )


def test_resend_refuses_a_message_whose_rendering_failed_and_says_why():
    original = unrendered()
    with pytest.raises(log_actions.Refused) as refused:
        log_actions.resend(original, User.objects.create_user("op", is_staff=True))
    assert f"Message #{original.pk}" in str(refused.value) and REASON in str(refused.value)
    assert Message.objects.count() == 1


def test_resend_refuses_a_message_missing_a_required_parameter():
    original = MessageFactory(status="failed", params={"customer_name": "Lan", "order_code": " "})
    with pytest.raises(log_actions.Refused, match="order_code"):
        log_actions.resend(original, None)
    assert Message.objects.count() == 1


def test_a_rendered_message_is_still_resent():
    original = MessageFactory(status="failed")
    assert log_actions.resend(original, None).params == original.params


def test_the_admin_button_and_action_refuse_it_with_the_reason(client):
    staff_user("view_message", "resend_message", client=client)
    original = unrendered()
    response = client.post(
        reverse("admin:zns_notify_message_resend", args=[original.pk]), follow=True
    )
    assert any(REASON in str(m) for m in response.context["messages"])
    response = client.post(
        reverse("admin:zns_notify_message_changelist"),
        {"action": "resend_selected", "_selected_action": [original.pk]},
        follow=True,
    )
    assert any(REASON in str(m) for m in response.context["messages"])
    assert Message.objects.count() == 1


def test_the_api_refuses_it_with_409_and_the_reason():
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(staff_user("view_message", "resend_message"))
    original = unrendered()
    response = api.post(reverse("zns_notify:api_message_resend", args=[original.pk]))
    assert response.status_code == 409
    assert REASON in response.json()["detail"]
    assert Message.objects.count() == 1
