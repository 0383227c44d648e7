"""The worker's quota gate and the OA's quota ledger."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import responses
from django.utils import timezone

from tests.conftest import API
from tests.factories import MessageFactory
from zns_notify.account import quota
from zns_notify.lib import clock
from zns_notify.models import Message, MessageEvent, ZaloQuota
from zns_notify.sending.send import deliver
from zns_notify.zalo.client import SendResult

pytestmark = pytest.mark.django_db(transaction=True)
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def today_row(account):
    return ZaloQuota.objects.get(account=account, day=clock.local_day())


def test_each_send_echo_updates_todays_ledger(account, zalo_api):
    zalo_api.send_ok(remaining=499)
    deliver(MessageFactory().idempotency_key)
    row = today_row(account)
    assert (row.daily_quota, row.remaining_quota, row.used) == (500, 499, 1)


def test_late_echoes_never_raise_the_remaining_quota_unless_the_tier_changed(account):
    quota.record_send(account, SendResult("a", None, 500, 400))
    quota.record_send(account, SendResult("b", None, 500, 401))  # an older answer, late
    assert today_row(account).remaining_quota == 400
    quota.record_send(account, SendResult("c", None, 1000, 900))  # moved up a tier
    assert (today_row(account).daily_quota, today_row(account).remaining_quota) == (1000, 900)
    quota.record_send(account, SendResult("d", None, None, None))  # development mode: no echo
    assert today_row(account).remaining_quota == 900


def test_used_up_quota_waits_for_midnight_without_calling_zalo(account, zalo_api, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "MAX_ATTEMPTS": 1}
    quota.record_send(account, SendResult("a", None, 500, 0))
    message = MessageFactory()
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert message.error_category == "reschedule" and message.error_code is None
    local = message.next_attempt_at.astimezone(VN)
    assert local.hour == 0 and local.date() == clock.local_day() + dt.timedelta(days=1)
    assert message.attempts == 0  # a wait is not a try
    assert MessageEvent.objects.get(message=message).kind == "note"
    assert "used up" in message.error_message
    assert zalo_api.calls_to("/message/template") == []


def test_minus_144_marks_the_day_used_up_so_the_next_message_does_not_call(account, zalo_api):
    quota.record_send(account, SendResult("a", None, 500, 10))
    zalo_api.send_error(-144, "OA exceeded daily ZNS sending limit")
    first, second = MessageFactory(), MessageFactory()
    deliver(first.idempotency_key)
    assert today_row(account).remaining_quota == 0
    deliver(second.idempotency_key)
    assert len(zalo_api.calls_to("/message/template")) == 1
    for message in (first, second):
        message.refresh_from_db()
        assert message.status == Message.Status.QUEUED and message.attempts == 0
        assert message.next_attempt_at.astimezone(VN).hour == 0


def test_development_mode_messages_ignore_the_daily_quota(account, zalo_api):
    quota.record_send(account, SendResult("a", None, 500, 0))
    zalo_api.send_ok()
    message = MessageFactory(development_mode=True)
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert zalo_api.last_json()["mode"] == "development"


def test_refresh_quota_stores_every_field_strings_or_numbers(account, zalo_api):
    zalo_api.rsps.add(
        responses.GET,
        f"{API}/message/quota",
        json={
            "error": 0,
            "message": "success",
            "data": {
                "dailyQuota": "500",
                "remainingQuota": "499",
                "dailyQuotaPromotion": None,
                "remainingQuotaPromotion": "124",
                "monthlyPromotionQuota": 403,
                "remainingMonthlyPromotionQuota": 400,
                "estimatedNextMonthPromotionQuota": 425,
            },
        },
    )
    assert quota.refresh_quota() == 499
    row = today_row(account)
    assert (row.daily_quota, row.remaining_quota, row.used) == (500, 499, 1)
    assert row.daily_promotion_quota is None and row.remaining_promotion_quota == 124
    assert (row.monthly_promotion_quota, row.remaining_monthly_promotion_quota) == (403, 400)


def test_refresh_quota_survives_zalo_errors_and_no_account(db, zalo_api):
    assert quota.refresh_quota() is None  # no account connected
    assert not ZaloQuota.objects.exists()


def test_the_quota_schedule_is_created_after_migrate(db):
    from django_q.models import Schedule

    from zns_notify.tasks import ensure_schedules

    ensure_schedules()
    schedule = Schedule.objects.get(name="zns_notify.refresh_quota")
    assert schedule.func == "zns_notify.tasks.refresh_quota" and schedule.repeats == -1


def test_quota_raised_during_the_day_lets_waiting_messages_go(account, zalo_api):
    quota.record_send(account, SendResult("a", None, 500, 0))
    message = MessageFactory()
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.next_attempt_at > timezone.now()
    quota.record_quota(account, {"dailyQuota": "1000", "remainingQuota": "500"})
    message.refresh_from_db()
    assert message.next_attempt_at <= timezone.now()
    zalo_api.send_ok()
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_quota_raised_during_the_day_also_frees_messages_zalo_refused_with_144(account, zalo_api):
    zalo_api.send_error(-144, "Exceeded daily quota")
    refused = MessageFactory()
    deliver(refused.idempotency_key)
    refused.refresh_from_db()
    assert refused.error_code == -144 and refused.next_attempt_at > timezone.now()
    quota.record_quota(account, {"dailyQuota": "1000", "remainingQuota": "500"})
    refused.refresh_from_db()
    assert refused.next_attempt_at <= timezone.now()


# -- the "unrestricted" tier (issue 15 §2): no daily limit in Zalo's answer ---------------

NO_LIMIT = {
    "minus one": {"dailyQuota": "-1", "remainingQuota": "-1"},
    "minus one as numbers": {"dailyQuota": -1, "remainingQuota": -1},
    "empty": {"dailyQuota": "", "remainingQuota": ""},
    "null": {"dailyQuota": None, "remainingQuota": None},
    "missing": {"dailyQuotaPromotion": "125", "remainingQuotaPromotion": "124"},
}


@pytest.mark.parametrize("data", NO_LIMIT.values(), ids=NO_LIMIT.keys())
def test_a_quota_answer_without_a_daily_limit_never_holds_the_sends(account, zalo_api, data):
    zalo_api.rsps.add(
        responses.GET, f"{API}/message/quota", json={"error": 0, "message": "ok", "data": data}
    )
    quota.refresh_quota()
    row = today_row(account)
    assert row.unlimited and row.remaining_quota is None and row.daily_quota is None
    message = MessageFactory()
    zalo_api.send_ok()
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT, message.error_message


def test_a_send_echo_of_minus_one_is_no_limit_not_zero_left(account, zalo_api):
    quota.record_send(account, SendResult("a", None, -1, -1))
    row = today_row(account)
    assert row.unlimited and row.remaining_quota is None
    message = MessageFactory()
    zalo_api.send_ok()
    deliver(message.idempotency_key)
    assert Message.objects.get(pk=message.pk).status == Message.Status.SENT


def test_a_limit_after_the_unlimited_tier_counts_again(account, zalo_api):
    quota.record_quota(account, {"dailyQuota": "-1", "remainingQuota": "-1"})
    quota.record_send(account, SendResult("a", None, 1000, 0))  # moved down to a tier
    row = today_row(account)
    assert not row.unlimited and row.remaining_quota == 0
    message = MessageFactory()
    deliver(message.idempotency_key)  # held, no call to Zalo
    assert Message.objects.get(pk=message.pk).status == Message.Status.QUEUED


def test_a_batch_on_the_unlimited_tier_is_not_held_back_for_a_probe(account, settings):
    """No limit known: the worker's loop keeps none of a batch back (the quota room is
    unbounded), unlike a day with nothing known yet, where one send probes first."""
    from zns_notify.sending.gate import quota_room

    assert quota_room(account, 5) is None  # nothing known today
    quota.record_quota(account, {"dailyQuota": "-1", "remainingQuota": "-1"})
    assert quota_room(account, 5) >= 10**9


def test_the_daily_quota_webhook_with_minus_one_is_no_limit(account):
    quota.record_quota(account, {"dailyQuota": "500", "remainingQuota": "0"})
    message = MessageFactory()
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.next_attempt_at > timezone.now()
    quota.record_daily_quota(account, -1, previous=500)
    row = today_row(account)
    assert row.unlimited and row.remaining_quota is None
    message.refresh_from_db()
    assert message.next_attempt_at <= timezone.now()  # freed at once
