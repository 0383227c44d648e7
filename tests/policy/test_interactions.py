"""The policy engine together with the reliability layer (ambiguous sends, recovery of a
dead worker's row, the sweeper) and the rest of the pipeline."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
import responses
from django.utils import timezone

from tests.conftest import API
from tests.factories import MessageFactory, TemplateFactory
from tests.policy.conftest import VN
from zns_notify.models import Message, RecipientDailyCount
from zns_notify.sending import deliver
from zns_notify.tasks import sweep

pytestmark = pytest.mark.django_db(transaction=True)

NOON = dt.datetime(2026, 11, 22, 12, 0, tzinfo=VN)
SEND = f"{API}/message/template"


def tagged(tag: str, **kwargs) -> Message:
    return MessageFactory(template=TemplateFactory(tag=tag), **kwargs)


def make_due(message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


@pytest.mark.parametrize("ambiguous", ["verify", "retry"])
def test_an_ambiguous_send_resent_takes_no_second_cap_slot(
        account, zalo_api, clock, policy_settings, ambiguous):
    # Its first slot stays taken (Zalo may have accepted it); the resend must neither take
    # a second one nor be refused by the cap because of its own first attempt.
    clock(NOON)
    policy_settings(RECIPIENT_DAILY_CAP=1, AMBIGUOUS_SENDS=ambiguous)
    message = tagged("TRANSACTION")
    zalo_api.rsps.add(responses.POST, SEND, body=requests.ReadTimeout("read timed out"))
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED and message.ambiguous_sends == 1
    assert RecipientDailyCount.objects.get().count == 1
    make_due(message)
    zalo_api.send_ok(msg_id="resent")
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT, message.error_message
    assert RecipientDailyCount.objects.get().count == 1


def test_a_dead_workers_row_resent_takes_no_second_cap_slot(
        account, zalo_api, clock, policy_settings, settings):
    clock(NOON)
    policy_settings(RECIPIENT_DAILY_CAP=1, AMBIGUOUS_SENDS="retry", SEND_LEASE=60)
    message = tagged("TRANSACTION")
    # A worker claimed it, took its slot and died before recording anything.
    from zns_notify import policy
    from zns_notify.sending import claim
    claimed = claim(message.idempotency_key)
    policy.check(claimed, account, NOON)
    assert RecipientDailyCount.objects.get().count == 1
    Message.objects.filter(pk=message.pk).update(
        claimed_at=timezone.now() - dt.timedelta(seconds=120))
    sweep()
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED and message.ambiguous_sends == 1
    make_due(message)
    zalo_api.send_ok(msg_id="resent")
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT, message.error_message
    assert RecipientDailyCount.objects.get().count == 1
