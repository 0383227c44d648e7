"""Defects found in the review of the SMS fallback (issue 7), each proven here first."""

from __future__ import annotations

import pytest

from zns_notify.models import FallbackStep, Message
from zns_notify.tasks import send_messages

pytestmark = pytest.mark.django_db(transaction=True)


# -- development mode --------------------------------------------------------------------

def test_a_development_mode_message_never_falls_back(account, zalo_api, make_message,
                                                     sms_outbox):
    """Zalo delivers a development-mode message only to the OA's admins (zns-api.md §8): a
    test refused for a customer's phone (-127), or one sent without a receipt, must not
    text that customer a paid SMS."""
    refused = make_message(development_mode=True)
    zalo_api.send_error(-127, "Test template can only be sent to administrators")
    send_messages([refused.idempotency_key])
    refused.refresh_from_db()
    assert refused.status == Message.Status.FAILED

    sent = make_message(development_mode=True, idempotency_key="zns" + "7" * 40)
    zalo_api.send_ok(msg_id="dev-msg-1")
    send_messages([sent.idempotency_key])
    sent.refresh_from_db()
    assert sent.status == Message.Status.SENT

    assert not FallbackStep.objects.exists()
    assert sms_outbox == []
