"""The worker: claim, send, and record every outcome of a send."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import MessageFactory, ZaloAccountFactory
from tests.signal_capture import listening
from zns_notify import signals
from zns_notify.models import Message, MessageEvent, Template, ZaloAccount
from zns_notify.sending.send import deliver
from zns_notify.tasks import send_messages, sweep

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def received():
    with listening(signals.message_sent, signals.message_failed) as seen:
        yield seen


def test_successful_send_records_msg_id_timeline_and_signal(account, zalo_api, received):
    message = MessageFactory()
    zalo_api.send_ok(msg_id="abc123")
    assert send_messages([message.idempotency_key]) == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.msg_id == "abc123"
    assert message.attempts == 1
    assert zalo_api.last_json()["tracking_id"] == message.idempotency_key
    assert MessageEvent.objects.get(message=message).status == "sent"
    assert [s for s, _ in received] == [signals.message_sent]


def test_second_run_of_the_same_task_sends_nothing(account, zalo_api):
    message = MessageFactory()
    zalo_api.send_ok()
    send_messages([message.idempotency_key])
    assert send_messages([message.idempotency_key]) == 0
    assert len(zalo_api.calls_to("/message/template")) == 1


def test_rejected_token_is_refreshed_once_then_sent(account, zalo_api):
    message = MessageFactory()
    zalo_api.send_error(-124, "Access token invalid")
    zalo_api.refresh_ok(access="fresh-access", refresh="fresh-refresh")
    zalo_api.send_ok()
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    account.refresh_from_db()
    assert (account.access_token, account.refresh_token) == ("fresh-access", "fresh-refresh")
    assert (
        zalo_api.calls_to("/message/template")[-1].request.headers["access_token"] == "fresh-access"
    )


def test_expired_token_is_refreshed_before_sending(zalo_api):
    ZaloAccountFactory(access_token_expires_at=timezone.now() - dt.timedelta(minutes=1))
    message = MessageFactory()
    zalo_api.refresh_ok(access="fresh-access")
    zalo_api.send_ok()
    deliver(message.idempotency_key)
    assert (
        zalo_api.calls_to("/message/template")[0].request.headers["access_token"] == "fresh-access"
    )


@pytest.mark.parametrize("code, category", [(-118, "recipient"), (-1121, "payload")])
def test_permanent_errors_fail_with_code_and_reason(account, zalo_api, received, code, category):
    message = MessageFactory()
    zalo_api.send_error(code, "customer_name data breaks max length")
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.error_code == code
    assert message.error_category == category
    assert "customer_name data breaks max length" in message.error_message
    assert [s for s, _ in received] == [signals.message_failed]
    assert received[0][1]["error_code"] == code


def test_quota_exhaustion_waits_for_the_daily_reset_without_using_up_attempts(
    account, zalo_api, settings
):
    from zoneinfo import ZoneInfo

    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "MAX_ATTEMPTS": 1}
    message = MessageFactory()
    zalo_api.send_error(-144, "OA exceeded its daily ZNS sending limit")
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    local = message.next_attempt_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert local.hour == 0 and local.date() > timezone.localdate()
    assert message.error_category == "reschedule" and message.error_code == -144


def test_night_ban_waits_until_six_in_the_morning(account, zalo_api):
    from zoneinfo import ZoneInfo

    message = MessageFactory()
    zalo_api.send_error(-133, "Cannot send at night")
    deliver(message.idempotency_key)
    message.refresh_from_db()
    local = message.next_attempt_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert local.hour == 6 and local.minute < 6
    assert message.next_attempt_at > timezone.now()


def test_new_tokens_refused_on_first_use_are_refreshed_a_bounded_number_of_times(account, zalo_api):
    """Issue 15 §2: no longer "once per send", but a bounded number of new tokens."""
    from zns_notify.account.tokens import FRESH_TOKEN_REFUSALS

    message = MessageFactory()
    for n in range(FRESH_TOKEN_REFUSALS - 1):
        zalo_api.send_error(-124, "Access token invalid")
        zalo_api.refresh_ok(access=f"new-access-{n}", refresh=f"new-refresh-{n}")
    zalo_api.send_error(-124, "Access token invalid")
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert "reconnect the OA" in message.error_message
    assert len(zalo_api.calls_to("/v4/oa/access_token")) == FRESH_TOKEN_REFUSALS - 1


def test_refused_refresh_makes_messages_wait_for_a_reconnect(account, zalo_api):
    import responses

    from tests.conftest import OAUTH

    message = MessageFactory()
    zalo_api.send_error(-124, "Access token invalid")
    zalo_api.rsps.add(
        responses.POST,
        f"{OAUTH}/v4/oa/access_token",
        json={"error": -14014, "error_name": "invalid_grant", "error_description": "expired"},
    )
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert "reconnect the OA" in message.error_message


def test_a_late_worker_cannot_overwrite_the_outcome_of_the_worker_that_took_over(
    account, zalo_api, settings
):
    from zns_notify.sending.claim import claim
    from zns_notify.sending.record import record_error

    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "AMBIGUOUS_SENDS": "retry"}

    message = MessageFactory()
    first = claim(message.idempotency_key)
    Message.objects.filter(pk=message.pk).update(
        claimed_at=timezone.now() - dt.timedelta(minutes=10)
    )
    sweep()  # recovers the stale row; a second worker claims it
    second = claim(message.idempotency_key)
    assert second is not None and second.attempts == 2
    assert record_error(first, "payload", -1121, "late answer") is False
    message.refresh_from_db()
    assert message.status == Message.Status.SENDING and message.attempts == 2


def test_receipt_arriving_before_the_send_is_recorded_keeps_both(account, zalo_api):
    from zns_notify.sending.claim import claim
    from zns_notify.sending.record import record_sent
    from zns_notify.zalo.client import SendResult

    message = MessageFactory()
    claimed = claim(message.idempotency_key)
    Message.objects.filter(pk=message.pk).update(status=Message.Status.DELIVERED)  # webhook won
    assert record_sent(claimed, SendResult("abc", None, None, None)) is True
    message.refresh_from_db()
    assert (message.status, message.msg_id) == (Message.Status.DELIVERED, "abc")
    assert message.sent_at is not None
    assert MessageEvent.objects.filter(message=message, kind="attempt").exists()


def test_stale_sends_are_noted_and_eventually_given_up(account, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "MAX_ATTEMPTS": 2}
    old = timezone.now() - dt.timedelta(minutes=10)
    retry = MessageFactory(status=Message.Status.SENDING, claimed_at=old, attempts=1)
    give_up = MessageFactory(status=Message.Status.SENDING, claimed_at=old, attempts=2)
    sweep()
    retry.refresh_from_db()
    give_up.refresh_from_db()
    assert retry.status == Message.Status.QUEUED
    assert give_up.status == Message.Status.FAILED
    for message in (retry, give_up):
        note = MessageEvent.objects.get(message=message)
        assert note.kind == "note" and "may have accepted" in note.detail
        assert message.ambiguous_sends == 1 and message.error_category == "ambiguous"


def test_a_task_stops_claiming_when_its_time_budget_is_spent(
    account, zalo_api, monkeypatch, settings
):
    from django_q.models import OrmQ

    # One message per round, so the budget is looked at between messages.
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SEND_CONCURRENCY": 1}
    monkeypatch.setattr("zns_notify.tasks._time_budget", lambda: 0.0)
    first, second, third = MessageFactory(), MessageFactory(), MessageFactory()
    zalo_api.send_ok()
    assert (
        send_messages([first.idempotency_key, second.idempotency_key, third.idempotency_key]) == 1
    )
    pushed = [key for task in OrmQ.objects.all() for key in task.task["args"][0]]
    assert pushed == [second.idempotency_key, third.idempotency_key]


def test_transient_error_is_retried_later_then_fails_after_max_attempts(
    account, zalo_api, settings
):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "MAX_ATTEMPTS": 2}
    message = MessageFactory()
    zalo_api.send_error(-100, "Unknown error")
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert message.next_attempt_at > timezone.now()
    assert deliver(message.idempotency_key) is None  # not due yet: nobody may claim it
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    zalo_api.send_error(-100, "Unknown error")
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.attempts == 2
    assert MessageEvent.objects.filter(message=message).count() == 2


def test_template_no_longer_enabled_holds_its_messages_without_calling_zalo(account, zalo_api):
    message = MessageFactory(template__status=Template.Status.DISABLE)
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert message.error_category == "config"
    assert message.next_attempt_at > timezone.now()
    hold = account.holds.get()
    assert hold.template_id == message.template_id and hold.is_active
    assert zalo_api.calls_to("/message/template") == []


def test_no_connected_account_waits_instead_of_failing(zalo_api):
    message = MessageFactory()
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert "zns_tokens set" in message.error_message
    assert ZaloAccount.objects.count() == 0


def test_sweeper_requeues_lost_and_stuck_messages(account, settings):
    from django_q.models import OrmQ

    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "AMBIGUOUS_SENDS": "retry"}

    old = timezone.now() - dt.timedelta(minutes=10)
    lost = MessageFactory(created_at=old)
    stuck = MessageFactory(status=Message.Status.SENDING, claimed_at=old)
    fresh = MessageFactory()
    assert sweep() == 2
    queued = {k for task in OrmQ.objects.all() for k in task.task["args"][0]}
    assert queued == {lost.idempotency_key, stuck.idempotency_key}
    assert MessageEvent.objects.filter(message=stuck, kind="note").exists()
    assert fresh.idempotency_key not in queued


def test_without_a_connected_account_messages_wait_unclaimed(zalo_api):
    message = MessageFactory()  # no account connected
    for _ in range(2):
        deliver(message.idempotency_key)
        message.refresh_from_db()
        assert message.status == Message.Status.QUEUED and message.attempts == 0
        assert message.next_attempt_at > timezone.now()
        assert "No Zalo account is connected" in message.error_message
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
