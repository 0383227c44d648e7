"""The worker's policy gate: each rule's decision, recorded on the message."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import MessageFactory, TemplateFactory
from tests.policy.conftest import VN
from zns_notify.lib import clock
from zns_notify.models import Message, MessageEvent, RecipientDailyCount, ZaloQuota
from zns_notify.models.error_categories import POLICY
from zns_notify.policy import rules as policy
from zns_notify.sending.send import deliver

pytestmark = pytest.mark.django_db(transaction=True)

NIGHT = dt.datetime(2026, 11, 22, 23, 30, tzinfo=VN)
NOON = dt.datetime(2026, 11, 22, 12, 0, tzinfo=VN)


def tagged(tag: str, **kwargs) -> Message:
    return MessageFactory(template=TemplateFactory(tag=tag), **kwargs)


def policy_events(message) -> list[MessageEvent]:
    return list(MessageEvent.objects.filter(message=message, kind=MessageEvent.Kind.POLICY))


# -- quiet hours ---------------------------------------------------------------------------


def test_promotion_at_night_waits_for_the_morning_without_using_an_attempt(
    account, zalo_api, clock
):
    clock(NIGHT)
    message = tagged("PROMOTION")
    assert deliver(message.idempotency_key) is not None
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert message.attempts == 0
    assert message.error_category == POLICY
    morning = dt.datetime(2026, 11, 23, 6, 0, tzinfo=VN)
    assert morning <= message.next_attempt_at <= morning + dt.timedelta(minutes=5)
    assert "22:00" in message.error_message
    [event] = policy_events(message)
    assert event.status == Message.Status.QUEUED and "06" in event.detail
    assert zalo_api.calls_to("/message/template") == []


def test_transaction_goes_out_at_night_unless_the_shop_quiets_it(
    account, zalo_api, clock, policy_settings
):
    clock(NIGHT)
    zalo_api.send_ok()
    message = tagged("TRANSACTION")
    deliver(message.idempotency_key)
    assert Message.objects.get(pk=message.pk).status == Message.Status.SENT
    policy_settings(QUIET_HOURS={"TRANSACTION": ("23:00", "07:00")})
    later = tagged("TRANSACTION")
    deliver(later.idempotency_key)
    later.refresh_from_db()
    assert later.status == Message.Status.QUEUED
    assert later.next_attempt_at >= dt.datetime(2026, 11, 23, 7, 0, tzinfo=VN)


def test_promotion_in_the_day_is_sent(account, zalo_api, clock):
    clock(NOON)
    zalo_api.send_ok()
    message = tagged("PROMOTION")
    deliver(message.idempotency_key)
    assert Message.objects.get(pk=message.pk).status == Message.Status.SENT


# -- the recipient cap ---------------------------------------------------------------------


def test_the_cap_skips_the_sixth_message_of_a_tag_with_the_reason(
    account, zalo_api, clock, policy_settings, skipped
):
    clock(NOON)
    policy_settings(RECIPIENT_DAILY_CAP=5)
    template = TemplateFactory(tag="TRANSACTION")
    for n in range(5):
        zalo_api.send_ok(msg_id=f"m{n}")
        deliver(MessageFactory(template=template).idempotency_key)
    sixth = MessageFactory(template=template)
    deliver(sixth.idempotency_key)
    sixth.refresh_from_db()
    assert sixth.status == Message.Status.SKIPPED
    assert sixth.error_category == "policy" and "cap of 5" in sixth.error_message
    assert sixth.attempts == 0 and sixth.next_attempt_at is None
    assert [s["rule"] for s in skipped] == ["recipient_cap"]
    assert skipped[0]["message"].pk == sixth.pk
    assert len(zalo_api.calls_to("/message/template")) == 5
    # Another tag has its own count; another phone too.
    zalo_api.send_ok(msg_id="care")
    deliver(tagged("CUSTOMER_CARE").idempotency_key)
    zalo_api.send_ok(msg_id="other")
    deliver(MessageFactory(template=template, phone="84987654321").idempotency_key)
    assert Message.objects.filter(status=Message.Status.SENT).count() == 7


def test_over_the_cap_can_wait_for_the_next_vietnam_day(account, zalo_api, clock, policy_settings):
    # 23:59 local is 16:59 UTC: "tomorrow" starts one minute later, not at UTC midnight.
    clock(dt.datetime(2026, 11, 22, 23, 59, tzinfo=VN))
    policy_settings(RECIPIENT_DAILY_CAP=1, RECIPIENT_CAP_ACTION="defer")
    zalo_api.send_ok()
    deliver(tagged("TRANSACTION").idempotency_key)
    second = tagged("TRANSACTION")
    deliver(second.idempotency_key)
    second.refresh_from_db()
    midnight = dt.datetime(2026, 11, 23, 0, 0, tzinfo=VN)
    assert second.status == Message.Status.QUEUED and second.attempts == 0
    assert midnight <= second.next_attempt_at <= midnight + dt.timedelta(minutes=5)
    # At 00:00 local the day is new: the same recipient has a fresh count.
    clock(midnight)
    Message.objects.filter(pk=second.pk).update(next_attempt_at=None)
    zalo_api.send_ok(msg_id="next-day")
    deliver(second.idempotency_key)
    assert Message.objects.get(pk=second.pk).status == Message.Status.SENT
    days = dict(RecipientDailyCount.objects.values_list("day", "count"))
    assert days == {dt.date(2026, 11, 22): 1, dt.date(2026, 11, 23): 1}


@pytest.mark.parametrize("code", [-118, -32])  # a permanent failure, a transient one
def test_a_send_zalo_did_not_accept_gives_its_slot_back(
    account, zalo_api, clock, policy_settings, code
):
    clock(NOON)
    policy_settings(RECIPIENT_DAILY_CAP=1)
    zalo_api.send_error(code, "no")
    message = tagged("TRANSACTION")
    deliver(message.idempotency_key)
    assert Message.objects.get(pk=message.pk).status != Message.Status.SENT
    assert RecipientDailyCount.objects.get().count == 0
    zalo_api.send_ok()
    deliver(tagged("TRANSACTION").idempotency_key)  # so the next message still goes
    assert RecipientDailyCount.objects.get().count == 1


def test_a_later_rule_deciding_gives_no_slot_away(account, zalo_api, clock, policy_settings):
    clock(NIGHT)  # quiet hours defer the promotion before the cap is looked at
    policy_settings(RECIPIENT_DAILY_CAP=1)
    deliver(tagged("PROMOTION").idempotency_key)
    assert not RecipientDailyCount.objects.exists()


def test_development_mode_sends_are_not_capped(account, zalo_api, clock, policy_settings):
    clock(NOON)
    policy_settings(RECIPIENT_DAILY_CAP=1)
    for n in range(2):
        zalo_api.send_ok(msg_id=f"dev{n}")
        deliver(tagged("TRANSACTION", development_mode=True).idempotency_key)
    assert Message.objects.filter(status=Message.Status.SENT).count() == 2


# -- OA quota priority ---------------------------------------------------------------------


def remaining(account, left: int, promotion_left: int | None = None) -> None:
    ZaloQuota.objects.create(
        account=account,
        day=clock.local_day(),
        daily_quota=500,
        remaining_quota=left,
        remaining_promotion_quota=promotion_left,
    )


def test_scarce_quota_is_kept_for_transactions(account, zalo_api, policy_settings):
    policy_settings(QUOTA_RESERVES={"CUSTOMER_CARE": 20, "PROMOTION": 50})
    remaining(account, 20)
    care, promotion = tagged("CUSTOMER_CARE"), tagged("PROMOTION")
    zalo_api.send_ok(remaining=19)
    transaction_ = tagged("TRANSACTION")
    for message in (care, promotion, transaction_):
        deliver(message.idempotency_key)
    statuses = {
        m.template.tag: (m.status, m.attempts, m.error_category)
        for m in Message.objects.select_related("template")
    }
    assert statuses["TRANSACTION"][0] == Message.Status.SENT
    assert statuses["CUSTOMER_CARE"] == (Message.Status.QUEUED, 0, "policy")
    assert statuses["PROMOTION"] == (Message.Status.QUEUED, 0, "policy")
    care.refresh_from_db()
    assert care.next_attempt_at.astimezone(VN).time() < dt.time(0, 6)  # at the reset
    assert "20" in care.error_message


def test_customer_care_goes_before_promotion(account, zalo_api, policy_settings):
    policy_settings(QUOTA_RESERVES={"CUSTOMER_CARE": 20, "PROMOTION": 50})
    remaining(account, 30)
    zalo_api.send_ok()
    care, promotion = tagged("CUSTOMER_CARE"), tagged("PROMOTION")
    deliver(care.idempotency_key)
    deliver(promotion.idempotency_key)
    assert Message.objects.get(pk=care.pk).status == Message.Status.SENT
    assert Message.objects.get(pk=promotion.pk).status == Message.Status.QUEUED


def test_promotion_waits_when_its_own_quota_is_gone(account, zalo_api, clock):
    clock(NOON)
    remaining(account, 400, promotion_left=0)
    message = tagged("PROMOTION")
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED and "promotion quota" in message.error_message


def test_past_days_of_the_cap_are_pruned_daily(db):
    from django_q.models import Schedule

    from zns_notify.tasks import ensure_schedules

    today = dt.date(2026, 11, 22)
    for back in (0, 7, 8, 30):
        RecipientDailyCount.objects.create(
            phone="84912345678", tag="TRANSACTION", count=1, day=today - dt.timedelta(days=back)
        )
    assert policy.prune_counts(NOON) == 2
    assert sorted(RecipientDailyCount.objects.values_list("day", flat=True)) == [
        today - dt.timedelta(days=7),
        today,
    ]
    ensure_schedules()
    assert Schedule.objects.get(name="zns_notify.prune_recipient_counts").minutes == 1440
