"""The read-only "SMS fallbacks" admin page masks the phone like the delivery log does."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import MessageFactory
from tests.log.test_delivery_log_fallback import sent_step, staff  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_the_step_page_masks_the_phone_in_text_error_and_answer(client, staff):  # noqa: F811
    staff("view_fallbackstep")
    message = MessageFactory(status="failed", phone="84912345678")
    step = sent_step(
        message,
        error_message="eSMS: 0912345678 blocked",
        result={"CodeResult": "100", "raw": {"Phone": "0912345678"}},
    )
    html = client.get(
        reverse("admin:zns_notify_fallbackstep_change", args=[step.pk])
    ).content.decode()
    assert "Don hang DH1 da giao." in html  # the text is shown…
    assert "84912345678" not in html and "0912345678" not in html  # …without the number


def test_the_full_phone_permission_shows_it(client, staff):  # noqa: F811
    staff("view_fallbackstep", "view_full_phone")
    message = MessageFactory(status="failed", phone="84912345678")
    step = sent_step(message)
    html = client.get(
        reverse("admin:zns_notify_fallbackstep_change", args=[step.pk])
    ).content.decode()
    assert "Goi 84912345678 neu can." in html


def test_a_url_filter_on_the_text_cannot_spell_out_the_number(client, staff):  # noqa: F811
    staff("view_fallbackstep")
    message = MessageFactory(status="failed", phone="84912345678")
    sent_step(message)
    url = reverse("admin:zns_notify_fallbackstep_changelist")
    assert client.get(url, {"text__contains": "Goi 849"}).status_code == 400


def test_the_timeline_does_not_guess_why_a_step_was_cancelled(client, staff):  # noqa: F811
    """A step cancelled because the customer opted out (or the message was resent) is
    not said to be cancelled because Zalo delivered it or the fallback was turned off:
    the cancellation's own note is the reason, and the SMS entry says so."""
    import datetime as dt

    from django.utils import timezone

    from zns_notify.models import FallbackStep, MessageEvent

    staff("view_message")
    now = timezone.now()
    message = MessageFactory(status="sent", sent_at=now)
    FallbackStep.objects.create(
        message=message,
        reference="opted-out-sms",
        reason="window",
        trigger="window",
        due_at=now,
        status=FallbackStep.Status.CANCELLED,
        cancelled_at=now + dt.timedelta(minutes=5),
    )
    MessageEvent.objects.create(
        message=message,
        kind="note",
        at=now + dt.timedelta(minutes=5),
        detail="SMS fallback cancelled: the recipient opted out of CUSTOMER_CARE messages.",
    )
    html = client.get(
        reverse("admin:zns_notify_message_change", args=[message.pk])
    ).content.decode()
    assert "opted out of CUSTOMER_CARE" in html
    assert "the message was delivered, or its binding" not in html
