"""An SMS text saved before the binding engine's list (docs/templates.md) fails its step
with the reason instead of rendering Django's whole tag set, and an SMS text is bounded
like a parameter."""

from __future__ import annotations

import pytest
from django.utils import timezone

from zns_notify.models import FallbackStep, Message
from zns_notify.tasks import send_fallbacks

pytestmark = pytest.mark.django_db


def failed_step(make_message) -> FallbackStep:
    message = make_message(status=Message.Status.FAILED)
    return FallbackStep.objects.create(
        message=message,
        reference=f"{message.idempotency_key}-sms",
        reason="immediate",
        trigger="not_on_zalo",
        due_at=timezone.now(),
    )


@pytest.mark.parametrize(
    "text, reason",
    [
        ("{% lorem 10000000 w %}", 'The tag "lorem" is not allowed in a binding'),
        ("{% debug %}", 'The tag "debug" is not allowed in a binding'),
        ('{% for a in "0123456789" %}' * 5 + "{% endfor %}" * 5, "too much work"),
    ],
)
def test_a_stored_text_outside_the_limits_fails_its_step(
    make_message, sms_binding, sms_outbox, text, reason
):
    step = failed_step(make_message)
    type(sms_binding).objects.filter(pk=sms_binding.pk).update(sms_text=text)
    send_fallbacks([step.reference])
    step.refresh_from_db()
    assert (step.status, step.error_kind) == ("failed", "permanent")
    assert "does not render" in step.error_message and reason in step.error_message
    assert sms_outbox == []
