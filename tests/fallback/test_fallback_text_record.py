"""The step records the SMS text as the provider was sent it (diacritics stripped when
SMS_STRIP_DIACRITICS), so that the log shows what the customer received, next to the
segments and encoding of that same text."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.factories import BindingFactory, MessageFactory
from zns_notify.fallback import sending as fallback_sending
from zns_notify.models import FallbackStep

pytestmark = pytest.mark.django_db


def test_the_step_keeps_the_text_as_sent(sms_outbox):
    binding = BindingFactory(sms_enabled=True, sms_text="Đơn {{ order_code }} đã giao.")
    message = MessageFactory(
        binding=binding, template=binding.template, status="failed", order_ref="DH000777"
    )
    step = FallbackStep.objects.create(
        message=message,
        reference="ref-1-sms",
        reason=FallbackStep.Reason.IMMEDIATE,
        due_at=timezone.now(),
    )
    fallback_sending.send(step.reference)
    [sms] = sms_outbox
    step.refresh_from_db()
    assert step.status == FallbackStep.Status.SENT
    assert sms.text == "Don DH000777 da giao."
    assert step.text == sms.text and step.encoding == "GSM-7"
