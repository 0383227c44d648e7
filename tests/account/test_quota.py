"""The worker's gate: the OA's quota ledger, and holds for errors only an admin can fix."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import responses
from django.utils import timezone

from tests.conftest import API
from tests.factories import MessageFactory, TemplateFactory
from zns_notify.account import quota
from zns_notify.lib import clock
from zns_notify.models import Message, MessageEvent, SendingHold, ZaloQuota
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


# -- holds ---------------------------------------------------------------------------------


def test_billing_error_holds_the_account_and_the_queue_waits(account, zalo_api):
    zalo_api.send_error(-137, "Charge ZCA failed: insufficient balance")
    first = MessageFactory()
    second = MessageFactory(template=TemplateFactory(template_id="300001"))
    deliver(first.idempotency_key)
    deliver(second.idempotency_key)  # another template, same account: held without a call
    assert len(zalo_api.calls_to("/message/template")) == 1
    hold = SendingHold.objects.get()
    assert hold.template is None and hold.error_code == -137 and hold.is_active
    assert "insufficient balance" in hold.reason
    for message in (first, second):
        message.refresh_from_db()
        assert message.status == Message.Status.QUEUED and message.error_category == "config"
        assert message.next_attempt_at == hold.until and message.attempts == 0
    assert first.error_code == -137 and "insufficient balance" in first.error_message


def test_released_hold_makes_its_messages_due_and_the_next_send_probes_zalo(account, zalo_api):
    zalo_api.send_error(-135, "OA has no permission to send ZNS")
    message = MessageFactory()
    deliver(message.idempotency_key)
    assert quota.release(SendingHold.objects.all()) == 1
    message.refresh_from_db()
    assert message.next_attempt_at <= timezone.now()
    zalo_api.send_ok()
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_template_error_holds_only_that_template(account, zalo_api):
    zalo_api.send_error(-131, "ZNS template not approved")
    held = MessageFactory()
    deliver(held.idempotency_key)
    hold = SendingHold.objects.get()
    assert hold.template_id == held.template_id
    other = MessageFactory(template=TemplateFactory(template_id="300002"))
    zalo_api.send_ok()
    deliver(other.idempotency_key)
    other.refresh_from_db()
    assert other.status == Message.Status.SENT
    again = MessageFactory(template=held.template)
    deliver(again.idempotency_key)
    again.refresh_from_db()
    assert again.status == Message.Status.QUEUED and "on hold" in again.error_message


def test_a_message_held_too_long_fails(account, zalo_api):
    zalo_api.send_error(-136, "Must connect a Zalo Cloud Account")
    created = timezone.now() - quota.MAX_HOLD - dt.timedelta(minutes=1)
    message = MessageFactory(created_at=created)
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and message.error_code == -136
    assert "given up" in message.error_message


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


def test_a_reconnect_ends_account_wide_holds(account, zalo_api):
    from zns_notify.account.tokens import store_token_pair

    zalo_api.send_error(-137, "Billing: Zalo Cloud Account has no balance")
    message = MessageFactory()
    deliver(message.idempotency_key)
    assert SendingHold.objects.get().is_active
    store_token_pair(access_token="reconnected", refresh_token="reconnected-r")
    assert not SendingHold.objects.get().is_active
    message.refresh_from_db()
    assert message.next_attempt_at <= timezone.now()


def test_a_sync_that_finds_the_template_enabled_ends_its_hold(account, zalo_api, monkeypatch):
    from zns_notify.bindings import template_sync

    zalo_api.send_error(-131, "ZNS template not approved")
    message = MessageFactory()
    deliver(message.idempotency_key)
    assert SendingHold.objects.get().template_id == message.template_id
    monkeypatch.setattr(template_sync, "fetch_all", lambda *args, **kwargs: {})
    monkeypatch.setattr(template_sync, "_details", lambda *args: [])
    template_sync.sync_templates(status="ENABLE")  # the template stays ENABLE locally
    assert not SendingHold.objects.get().is_active
    message.refresh_from_db()
    assert message.next_attempt_at <= timezone.now()
