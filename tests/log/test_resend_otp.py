"""An operator never resends a one-time code's message: not by the log's function, the
detail page's button, the list's action nor (tests/api/test_message_actions.py) the API.
The code would reach the customer again long after it stopped working, or worse, while it
still works, to a phone nobody asked for it again."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import MessageFactory
from tests.log.test_delivery_log import LIST, change, shown
from tests.users import staff_user
from zns_notify.log import actions as log_actions
from zns_notify.models import Message

pytestmark = pytest.mark.django_db

REASON = "a one-time code is never sent again; ask the customer to request a new one"


@pytest.fixture
def otp_message():
    return MessageFactory(status="failed", event="otp:login", params={"otp": "907153"})


def test_resend_refuses_a_codes_message_with_the_reason(otp_message):
    with pytest.raises(log_actions.Refused) as refused:
        log_actions.resend(otp_message, None)
    assert REASON in str(refused.value) and f"#{otp_message.pk}" in str(refused.value)
    assert "907153" not in str(refused.value)
    assert Message.objects.count() == 1


@pytest.mark.parametrize("status", ["delivered", "undelivered", "failed", "skipped", "cancelled"])
def test_whatever_its_outcome(status):
    message = MessageFactory(status=status, event="otp:sign_up", params={"otp": "1"})
    with pytest.raises(log_actions.Refused, match="never sent again"):
        log_actions.check_resend(message)


def test_an_order_events_message_is_still_resent():
    original = MessageFactory(status="failed", event="order_paid")
    assert log_actions.resend(original, None).resent_from == original


def test_the_detail_page_has_no_resend_button_and_its_url_refuses(client, otp_message):
    staff_user("view_message", "resend_message", client=client)
    url = reverse("admin:zns_notify_message_resend", args=[otp_message.pk])
    assert url not in client.get(change(otp_message.pk)).content.decode()
    response = client.post(url, follow=True)
    assert any(REASON in text for text in shown(response))
    assert Message.objects.count() == 1


def test_the_list_action_names_it_among_the_refused(client, otp_message):
    staff_user("view_message", "resend_message", client=client)
    failed = MessageFactory(status="failed")
    response = client.post(
        LIST,
        {"action": "resend_selected", "_selected_action": [failed.pk, otp_message.pk]},
        follow=True,
    )
    texts = shown(response)
    assert "1 message was resent." in texts
    assert any(f"#{otp_message.pk}" in text and REASON in text for text in texts)
    assert not Message.objects.filter(resent_from=otp_message).exists()
