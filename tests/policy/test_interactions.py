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
from zns_notify.sending.send import deliver
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
    account, zalo_api, clock, policy_settings, ambiguous
):
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
    account, zalo_api, clock, policy_settings, settings
):
    clock(NOON)
    policy_settings(RECIPIENT_DAILY_CAP=1, AMBIGUOUS_SENDS="retry", SEND_LEASE=60)
    message = tagged("TRANSACTION")
    # A worker claimed it, took its slot and died before recording anything.
    from zns_notify.policy import rules as policy
    from zns_notify.sending.claim import claim

    claimed = claim(message.idempotency_key)
    policy.check(claimed, account, NOON)
    assert RecipientDailyCount.objects.get().count == 1
    Message.objects.filter(pk=message.pk).update(
        claimed_at=timezone.now() - dt.timedelta(seconds=120)
    )
    sweep()
    message.refresh_from_db()
    # Never put on the wire: queued again without an ambiguous attempt (issue 15).
    assert message.status == Message.Status.QUEUED and message.ambiguous_sends == 0
    make_due(message)
    zalo_api.send_ok(msg_id="resent")
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT, message.error_message
    assert RecipientDailyCount.objects.get().count == 1


def test_a_stalled_workers_row_recovered_before_it_left_takes_no_second_cap_slot(
    account, zalo_api, clock, policy_settings
):
    clock(NOON)
    policy_settings(RECIPIENT_DAILY_CAP=1, SEND_LEASE=60)
    message = tagged("TRANSACTION")
    # Imported here like the test above: the policy and the lease under test.
    from zns_notify.policy import rules as policy
    from zns_notify.sending.claim import claim
    from zns_notify.sending.lease import on_the_wire

    claimed = claim(message.idempotency_key)
    Message.objects.filter(pk=message.pk).update(
        claimed_at=timezone.now() - dt.timedelta(seconds=120)
    )
    sweep()  # the worker stalled before its gate: queued again, its claim's slot given back
    policy.check(claimed, account, NOON)  # the stalled worker wakes and gates it
    assert on_the_wire([claimed]) == []  # not its row any more: not sent
    make_due(message)
    zalo_api.send_ok(msg_id="resent")
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT, message.error_message
    assert RecipientDailyCount.objects.get().count == 1


def test_a_delayed_message_meeting_a_hold_is_not_given_up_for_its_delay(account, zalo_api):
    # "Review request 4 days after delivery": it was written 4 days ago but only came due
    # now; Zalo holding its template must not fail it as "held for more than 3 days".
    from tests.factories import BindingFactory
    from zns_notify.account import holds

    binding = BindingFactory(delay_minutes=4 * 24 * 60)
    created = timezone.now() - dt.timedelta(days=4, minutes=1)
    message = MessageFactory(
        binding=binding,
        template=binding.template,
        created_at=created,
        next_attempt_at=created + dt.timedelta(days=4),
    )
    assert holds.MAX_HOLD < dt.timedelta(days=4)
    zalo_api.send_error(-136, "Must connect a Zalo Cloud Account")
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED, message.error_message
    assert message.error_category == "config"


def test_a_message_deferred_by_policy_for_days_then_held_is_not_given_up_at_once(account, zalo_api):
    from zns_notify.models import MessageEvent

    created = timezone.now() - dt.timedelta(days=4)
    message = MessageFactory(created_at=created)
    # The recipient cap deferred it day after day; yesterday's deferral was the last.
    MessageEvent.objects.create(
        message=message,
        kind=MessageEvent.Kind.POLICY,
        at=timezone.now() - dt.timedelta(days=1),
        status=Message.Status.QUEUED,
        detail="Deferred to the next day",
    )
    zalo_api.send_error(-136, "Must connect a Zalo Cloud Account")
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED, message.error_message


def test_quota_raised_during_the_day_lets_messages_kept_back_for_transactions_go(
    account, zalo_api, policy_settings
):
    # The ledger's own waits are released when Zalo raises the quota (quota.py); so must
    # the policy's: the quota is no longer scarce, CUSTOMER_CARE need not wait for midnight.
    from zns_notify.account import quota
    from zns_notify.lib import clock
    from zns_notify.models import ZaloQuota

    policy_settings(QUOTA_RESERVES={"CUSTOMER_CARE": 20, "PROMOTION": 50})
    ZaloQuota.objects.create(
        account=account, day=clock.local_day(), daily_quota=500, remaining_quota=20
    )
    care = tagged("CUSTOMER_CARE")
    deliver(care.idempotency_key)
    care.refresh_from_db()
    assert care.error_category == "policy" and care.next_attempt_at > timezone.now()
    quota.record_quota(account, {"dailyQuota": "2000", "remainingQuota": "1500"})
    care.refresh_from_db()
    assert care.next_attempt_at <= timezone.now()
    zalo_api.send_ok()
    deliver(care.idempotency_key)
    assert Message.objects.get(pk=care.pk).status == Message.Status.SENT
