"""Defects found in the review of the SMS fallback (issue 7), each proven here first."""

from __future__ import annotations

import pytest

from zns_notify.models import FallbackStep, Message
from zns_notify.tasks import send_messages

pytestmark = pytest.mark.django_db(transaction=True)


# -- development mode --------------------------------------------------------------------


def test_a_development_mode_message_never_falls_back(account, zalo_api, make_message, sms_outbox):
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


# -- resend ------------------------------------------------------------------------------


def test_a_resend_takes_over_the_originals_pending_sms(
    account, zalo_api, make_message, sms_outbox, django_user_model
):
    """The original failed (not on Zalo) and its SMS waits for a retry (the provider was
    down). An operator resends it, and Zalo delivers the copy: the original's SMS must not
    go out as well. The copy has its own step, so the customer still gets one SMS if the
    copy fails too."""
    import datetime as dt

    from django.utils import timezone

    from zns_notify.fallback import sending as fallback_sending
    from zns_notify.log import actions as log_actions
    from zns_notify.receipts.delivery import record_receipt as receipt

    original = make_message()
    zalo_api.send_error(-118, "Zalo account not existed")
    send_messages([original.idempotency_key])
    step = FallbackStep.objects.get(message=original)
    # The provider was down: the step waits for its retry.
    FallbackStep.objects.filter(pk=step.pk).update(
        attempts=1, due_at=timezone.now() + dt.timedelta(minutes=2), error_kind="retryable"
    )

    operator = django_user_model.objects.create_user("op", is_staff=True)
    copy = log_actions.resend(Message.objects.get(pk=original.pk), operator)
    step.refresh_from_db()
    assert step.status == FallbackStep.Status.CANCELLED

    zalo_api.send_ok(msg_id="copy-msg")
    send_messages([copy.idempotency_key])
    receipt(copy.pk, timezone.now(), "copy-msg")
    FallbackStep.objects.filter(pk=step.pk).update(due_at=timezone.now())
    assert fallback_sending.send(step.reference) is None
    assert sms_outbox == []
    copy_step = FallbackStep.objects.get(message=copy)
    assert copy_step.status == FallbackStep.Status.CANCELLED  # delivered: no SMS for it either


# -- opt-out -----------------------------------------------------------------------------


def test_a_customer_who_opts_out_during_the_window_gets_no_sms(
    account, zalo_api, make_message, sms_outbox
):
    """The policy's opt-out keeps CUSTOMER_CARE notices from the customer: checked when the
    ZNS message is sent, and again when its SMS would go out, since the customer may opt
    out while the SMS waits for its window. Nothing is sent, and the timeline says why."""
    import datetime as dt

    from django.utils import timezone

    from zns_notify import opt_out
    from zns_notify.fallback import sending as fallback_sending
    from zns_notify.models import MessageEvent

    message = make_message()
    message.template.tag = "CUSTOMER_CARE"
    message.template.save(update_fields=["tag"])
    zalo_api.send_ok(msg_id="window-msg")
    send_messages([message.idempotency_key])
    step = FallbackStep.objects.get(message=message)
    assert step.status == FallbackStep.Status.SCHEDULED

    opt_out("0912345678", reason="STOP")
    FallbackStep.objects.filter(pk=step.pk).update(due_at=timezone.now() - dt.timedelta(seconds=1))
    assert fallback_sending.send(step.reference) is None
    assert sms_outbox == []
    step.refresh_from_db()
    assert step.status == FallbackStep.Status.CANCELLED
    assert MessageEvent.objects.filter(message=message, detail__contains="opted out").exists()


# -- cost ------------------------------------------------------------------------------


def test_an_sms_confirmed_by_the_duplicate_answer_keeps_its_cost(
    account, zalo_api, make_message, sms_outbox
):
    """A timeout after the provider took the SMS, then the retry answered "duplicate
    reference" (eSMS's 124): one SMS went out and was billed, and the step records it
    once. Its cost must be there for the reports, not None."""
    import datetime as dt

    from django.utils import timezone

    from zns_notify.fallback import sending as fallback_sending
    from zns_notify.sms.providers import locmem

    message = make_message()
    zalo_api.send_error(-118, "Zalo account not existed")
    send_messages([message.idempotency_key])
    step = FallbackStep.objects.get(message=message)
    locmem.queue_failure("retryable", ambiguous=True, delivered=True)
    fallback_sending.send(step.reference)
    step.refresh_from_db()
    assert step.status == FallbackStep.Status.SCHEDULED and len(sms_outbox) == 1

    FallbackStep.objects.filter(pk=step.pk).update(due_at=timezone.now() - dt.timedelta(seconds=1))
    fallback_sending.send(step.reference)
    step.refresh_from_db()
    assert step.status == FallbackStep.Status.SENT and step.result["duplicate"]
    assert len(sms_outbox) == 1
    assert (step.segments, step.cost) == (1, 850)


# -- reports ---------------------------------------------------------------------------


def test_a_double_cost_found_after_the_messages_day_closed_reaches_the_reports():
    """A message given up at 23:58 (ambiguous sends), its SMS out after the window, both
    final: the refresh after midnight closes the day. Zalo's receipt then comes (within
    the template's timeout, so Zalo bills it): the double cost must reach that day's
    figures, not only the step."""
    import datetime as dt
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from tests.factories import MessageFactory
    from zns_notify.models import DailyCount
    from zns_notify.receipts.delivery import record_receipt
    from zns_notify.reports import rollup

    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    day = dt.date(2026, 11, 21)
    created = dt.datetime(2026, 11, 21, 23, 58, tzinfo=vn)
    message = MessageFactory(created_at=created, status=Message.Status.FAILED)
    FallbackStep.objects.create(
        message=message,
        reference=f"{message.idempotency_key}-sms",
        status=FallbackStep.Status.SENT,
        reason=FallbackStep.Reason.WINDOW,
        trigger="failed",
        due_at=created,
        created_at=created,
        sent_at=created,
        segments=1,
        cost=Decimal(850),
    )
    rollup.refresh_reports(dt.datetime(2026, 11, 22, 0, 5, tzinfo=vn))
    assert rollup.compute_day(day).open_messages == 0  # both final: the day is closed

    record_receipt(message.pk, dt.datetime(2026, 11, 22, 0, 9, tzinfo=vn), "late-msg")
    assert FallbackStep.objects.get(message=message).double_cost

    rollup.refresh_reports(dt.datetime(2026, 11, 22, 0, 10, tzinfo=vn))
    [row] = DailyCount.objects.filter(day=day, channel="sms")
    assert (row.status, row.messages, row.double_cost) == ("sent", 1, 1)


# -- quiet hours -----------------------------------------------------------------------


def test_the_sms_waits_out_the_shops_quiet_hours_like_its_message(
    account, zalo_api, make_message, sms_outbox, settings
):
    """A CUSTOMER_CARE notice sent by Zalo just before the shop's quiet hours: its
    window ends inside them. The shop said "no such message at night", so the SMS waits
    for their end like the ZNS message would, instead of waking the customer."""
    import datetime as dt

    from django.utils import timezone

    from zns_notify.fallback import sending as fallback_sending
    from zns_notify.lib.clock import local_now

    message = make_message()
    message.template.tag = "CUSTOMER_CARE"
    message.template.save(update_fields=["tag"])
    zalo_api.send_ok(msg_id="evening-msg")
    send_messages([message.idempotency_key])
    step = FallbackStep.objects.get(message=message)

    here = local_now(timezone.now())
    start, end = here - dt.timedelta(hours=1), here + dt.timedelta(hours=1)
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "QUIET_HOURS": {"CUSTOMER_CARE": (f"{start:%H:%M}", f"{end:%H:%M}")},
    }
    FallbackStep.objects.filter(pk=step.pk).update(due_at=timezone.now() - dt.timedelta(seconds=1))
    assert fallback_sending.send(step.reference) is None
    assert sms_outbox == []
    step.refresh_from_db()
    assert step.status == FallbackStep.Status.SCHEDULED and step.attempts == 0
    assert step.due_at >= end.replace(second=0, microsecond=0)


# -- triggers ----------------------------------------------------------------------------


def test_a_template_hold_given_up_after_days_falls_back_with_the_default_triggers(
    account, zalo_api, make_message, sms_outbox
):
    """Without the opt-in "template" trigger the message waits for the template (-131:
    not approved) instead of falling back. When the wait ends in failure (held more than
    MAX_HOLD), Zalo will never deliver it: that is a final failure, and the default
    "failed" trigger sends the SMS, as the docs' trigger table says."""
    import datetime as dt

    from django.utils import timezone

    from zns_notify.account import holds

    created = timezone.now() - holds.MAX_HOLD - dt.timedelta(minutes=1)
    message = make_message(created_at=created)
    zalo_api.send_error(-131, "ZNS template not approved")
    send_messages([message.idempotency_key])
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and "given up" in message.error_message.lower()
    step = FallbackStep.objects.get(message=message)
    assert (step.reason, step.trigger) == ("immediate", "failed")


# -- the sweeper -----------------------------------------------------------------------


def test_a_broken_sms_setting_never_stops_the_zns_sweep(account, make_message, settings):
    """SMS_PROVIDER_OPTIONS edited into something that is not a dict (zns_notify.E022)
    while an SMS worker had died: the SMS side must not stop the sweeper, which also
    re-queues the ZNS messages whose task was lost. The dead step is failed, not sent
    again (the provider cannot be asked whether it refuses a repeated reference)."""
    import datetime as dt

    from django.utils import timezone
    from django_q.models import OrmQ

    from zns_notify.tasks import sweep

    old = timezone.now() - dt.timedelta(minutes=10)
    dead = make_message(status=Message.Status.FAILED)
    step = FallbackStep.objects.create(
        message=dead,
        reference=f"{dead.idempotency_key}-sms",
        reason="immediate",
        trigger="not_on_zalo",
        due_at=old,
        status=FallbackStep.Status.SENDING,
        attempts=1,
        claimed_at=old,
    )
    lost = make_message(created_at=old, idempotency_key="zns" + "1" * 40)
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SMS_PROVIDER_OPTIONS": "api_key=oops"}

    sweep()
    queued = {k for task in OrmQ.objects.all() for k in task.task["args"][0]}
    assert lost.idempotency_key in queued
    step.refresh_from_db()
    assert (step.status, step.error_kind) == ("failed", "permanent")


def test_a_broken_sms_setting_is_a_configuration_error_tried_again(
    make_message, settings, sms_outbox
):
    """The same broken setting met by the SMS worker: an admin fixes it, and the SMS goes
    out on a later try, as with a missing provider (SmsConfigurationError). It was taken
    for a text that cannot be prepared and failed for good."""
    import datetime as dt

    from django.utils import timezone

    from zns_notify.fallback import sending as fallback_sending

    message = make_message(status=Message.Status.FAILED)
    step = FallbackStep.objects.create(
        message=message,
        reference=f"{message.idempotency_key}-sms",
        reason="immediate",
        trigger="not_on_zalo",
        due_at=timezone.now(),
    )
    good = dict(settings.ZNS_NOTIFY)
    settings.ZNS_NOTIFY = {**good, "SMS_PROVIDER_OPTIONS": "api_key=oops"}
    fallback_sending.send(step.reference)
    step.refresh_from_db()
    assert (step.status, step.error_kind) == ("scheduled", "configuration")
    assert "SMS_PROVIDER_OPTIONS" in step.error_message

    settings.ZNS_NOTIFY = good  # fixed
    FallbackStep.objects.filter(pk=step.pk).update(due_at=timezone.now() - dt.timedelta(seconds=1))
    fallback_sending.send(step.reference)
    step.refresh_from_db()
    assert step.status == "sent" and len(sms_outbox) == 1


def test_a_resent_copy_does_not_text_the_customer_a_second_time(
    account, zalo_api, make_message, sms_outbox, django_user_model
):
    """Not on Zalo: the original failed and its SMS went out. An operator resends the
    failed messages (the log's bulk action after an outage), and Zalo refuses the copy
    for the same reason: the customer has the notice by SMS already and must not get it
    twice. A copy whose original's SMS did not go out still falls back."""
    from zns_notify.fallback import sending as fallback_sending
    from zns_notify.log import actions as log_actions

    original = make_message()
    zalo_api.send_error(-118, "Zalo account not existed")
    send_messages([original.idempotency_key])
    fallback_sending.send(FallbackStep.objects.get(message=original).reference)
    assert len(sms_outbox) == 1

    operator = django_user_model.objects.create_user("op", is_staff=True)
    copy = log_actions.resend(Message.objects.get(pk=original.pk), operator)
    zalo_api.send_error(-118, "Zalo account not existed")
    send_messages([copy.idempotency_key])
    copy.refresh_from_db()
    assert copy.status == Message.Status.FAILED
    assert not FallbackStep.objects.filter(message=copy).exists()
    assert len(sms_outbox) == 1


# -- the binding's condition -------------------------------------------------------------


def test_a_reminder_whose_condition_no_longer_holds_sends_no_sms(account, zalo_api, sms_outbox):
    """A payment reminder guarded by 'order.status == "new"': Zalo accepted it, no receipt
    came, and the customer paid during the window. The condition is asked again when the
    ZNS message would be sent (policy.md); the SMS standing in for it after the window
    must not remind a customer who has paid."""
    import datetime as dt

    from django.utils import timezone

    from demo_shop.shop.models import Order
    from tests.factories import BindingFactory, OrderFactory
    from zns_notify.fallback import sending as fallback_sending
    from zns_notify.models import MessageEvent

    BindingFactory(
        event="order_created",
        condition='order.status == "new"',
        sms_enabled=True,
        sms_text="Don hang {{ order_code }} chua thanh toan.",
    )
    order = OrderFactory()
    message = Message.objects.get()
    zalo_api.send_ok(msg_id="reminder-msg")
    send_messages([message.idempotency_key])
    step = FallbackStep.objects.get(message=message)

    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)
    FallbackStep.objects.filter(pk=step.pk).update(due_at=timezone.now() - dt.timedelta(seconds=1))
    assert fallback_sending.send(step.reference) is None
    assert sms_outbox == []
    step.refresh_from_db()
    assert step.status == FallbackStep.Status.CANCELLED
    assert MessageEvent.objects.filter(message=message, detail__contains="no longer holds").exists()
