"""The SMS fallback's unit of work: scheduled in the ZNS outcome's transaction, claimed
once, cancelled by a receipt, retried per policy, recorded as double cost when late."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import BindingFactory, MessageFactory
from tests.signal_capture import listening
from zns_notify import signals
from zns_notify.fallback import sending as fallback_sending
from zns_notify.models import FallbackStep, Message, MessageEvent, Template
from zns_notify.receipts.delivery import record_receipt as receipt
from zns_notify.receipts.delivery import record_undelivered
from zns_notify.sms.providers import locmem
from zns_notify.tasks import send_fallbacks, send_messages

pytestmark = pytest.mark.django_db(transaction=True)

FALLBACK_SIGNALS = (signals.fallback_triggered, signals.sms_sent, signals.sms_failed)


@pytest.fixture
def heard():
    with listening(*FALLBACK_SIGNALS) as seen:
        yield seen


def _due_now(step: FallbackStep) -> None:
    """Time control: the window (or a backoff) is over. The same rows the sweeper reads
    when the clock gets there; nothing else is changed."""
    FallbackStep.objects.filter(pk=step.pk).update(due_at=timezone.now() - dt.timedelta(seconds=1))


def _notes(message) -> list[str]:
    return list(
        MessageEvent.objects.filter(message=message, kind="note").values_list("detail", flat=True)
    )


# -- immediate triggers ----------------------------------------------------------------


def test_phone_not_on_zalo_sends_the_sms_at_once(
    account, zalo_api, make_message, sms_outbox, heard
):
    message = make_message()
    zalo_api.send_error(-118, "Zalo account not existed")
    send_messages([message.idempotency_key])
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    step = FallbackStep.objects.get(message=message)
    assert (step.status, step.reason, step.trigger) == ("scheduled", "immediate", "not_on_zalo")
    assert step.reference == f"{message.idempotency_key}-sms"
    assert step.due_at <= timezone.now()
    assert [(s, kw["reason"]) for s, kw in heard] == [(signals.fallback_triggered, "immediate")]

    assert send_fallbacks([step.reference]) == 1
    [sms] = sms_outbox
    assert (sms.phone, sms.reference) == ("84912345678", step.reference)
    assert sms.text == "Don hang DH000001 cua Lan da xac nhan."
    step.refresh_from_db()
    assert (step.status, step.attempts, step.segments, step.cost) == ("sent", 1, 1, 850)
    assert step.provider == "locmem" and step.provider_message_id
    assert not step.double_cost
    assert [s for s, _ in heard] == [signals.fallback_triggered, signals.sms_sent]
    assert send_fallbacks([step.reference]) == 0  # a repeated task sends nothing
    assert len(sms_outbox) == 1


def test_binding_without_the_fallback_gets_no_step(account, zalo_api, sms_outbox):
    message = MessageFactory(binding=BindingFactory())
    zalo_api.send_error(-118, "Zalo account not existed")
    send_messages([message.idempotency_key])
    assert not FallbackStep.objects.exists()


def test_an_outcome_not_chosen_as_trigger_waits_for_the_window(
    account, zalo_api, sms_binding, make_message
):
    sms_binding.sms_triggers = ["refused"]
    sms_binding.save()
    message = make_message()
    zalo_api.send_error(-118, "Zalo account not existed")
    send_messages([message.idempotency_key])
    assert not FallbackStep.objects.exists()


def test_template_trigger_gives_up_the_wait_for_the_sms(account, sms_binding, make_message):
    sms_binding.sms_triggers = ["template"]
    sms_binding.save()
    Template.objects.filter(pk=sms_binding.template_id).update(status=Template.Status.DISABLE)
    message = make_message()
    send_messages([message.idempotency_key])
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "Given up for the SMS fallback" in message.error_message
    assert FallbackStep.objects.get(message=message).trigger == "template"


def test_without_the_template_trigger_the_message_waits(account, make_message):
    message = make_message()
    Template.objects.filter(pk=message.template_id).update(status=Template.Status.DISABLE)
    send_messages([message.idempotency_key])
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert not FallbackStep.objects.exists()


def test_retryable_zalo_error_is_no_trigger_until_it_is_final(account, zalo_api, make_message):
    message = make_message()
    zalo_api.send_error(-100, "Unknown error")
    send_messages([message.idempotency_key])
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert not FallbackStep.objects.exists()


# -- the window ------------------------------------------------------------------------


def test_sent_message_schedules_the_sms_at_the_window_end(account, zalo_api, make_message, heard):
    message = make_message()
    zalo_api.send_ok(msg_id="m1")
    send_messages([message.idempotency_key])
    message.refresh_from_db()
    step = FallbackStep.objects.get(message=message)
    assert (step.status, step.reason, step.trigger) == ("scheduled", "window", "window")
    assert step.due_at == message.sent_at + dt.timedelta(minutes=5)
    assert send_fallbacks([step.reference]) == 0  # not due yet
    assert heard == []


def test_an_order_messages_window_counts_from_zalos_acceptance(account, zalo_api, make_message):
    """Only a code's window counts from its request (tests/fallback/test_fallback_otp.py):
    an order's message that waited in the queue still gets its whole window."""
    message = make_message(created_at=timezone.now() - dt.timedelta(minutes=4))
    zalo_api.send_ok(msg_id="m1")
    send_messages([message.idempotency_key])
    message.refresh_from_db()
    step = FallbackStep.objects.get(message=message)
    assert step.due_at == message.sent_at + dt.timedelta(minutes=5)


def test_receipt_within_the_window_cancels_the_sms(
    account, zalo_api, make_message, sms_outbox, heard
):
    message = make_message()
    zalo_api.send_ok(msg_id="m1")
    send_messages([message.idempotency_key])
    assert receipt(message.pk, timezone.now(), "m1")[0] == "applied"
    step = FallbackStep.objects.get(message=message)
    assert step.status == "cancelled" and step.cancelled_at
    _due_now(step)
    assert fallback_sending.sweep() == 0
    assert send_fallbacks([step.reference]) == 0
    assert sms_outbox == [] and heard == []
    assert "SMS fallback cancelled: Zalo delivered the message." in _notes(message)


def test_no_receipt_sends_exactly_one_sms_after_the_window(
    account, zalo_api, make_message, sms_outbox, heard
):
    message = make_message()
    zalo_api.send_ok(msg_id="m1")
    send_messages([message.idempotency_key])
    step = FallbackStep.objects.get(message=message)
    _due_now(step)
    assert fallback_sending.sweep() == 1  # queued through django-q2
    assert send_fallbacks([step.reference, step.reference]) == 1
    assert len(sms_outbox) == 1
    assert [(s, kw["reason"]) for s, kw in heard if s is signals.fallback_triggered] == [
        (signals.fallback_triggered, "window")
    ]
    assert fallback_sending.sweep() == 0


def test_late_receipt_after_the_sms_is_a_double_cost(account, zalo_api, make_message, sms_outbox):
    message = make_message()
    zalo_api.send_ok(msg_id="m1")
    send_messages([message.idempotency_key])
    step = FallbackStep.objects.get(message=message)
    _due_now(step)
    send_fallbacks([step.reference])
    assert receipt(message.pk, timezone.now(), "m1")[0] == "applied"
    message.refresh_from_db()
    step.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert step.status == "sent" and step.double_cost
    assert any("Double cost" in note for note in _notes(message))
    receipt(message.pk, timezone.now(), "m1")  # a repeated receipt notes nothing more
    assert sum("Double cost" in note for note in _notes(message)) == 1


def test_late_receipt_on_a_failed_message_after_its_sms(
    account, zalo_api, make_message, sms_outbox
):
    message = make_message()
    zalo_api.send_error(-119, "Account can not receive message")
    send_messages([message.idempotency_key])
    send_fallbacks([f"{message.idempotency_key}-sms"])
    assert receipt(message.pk, timezone.now(), "m1")[0] == "late"
    assert FallbackStep.objects.get(message=message).double_cost


def test_receipt_while_the_sms_is_being_sent_is_recorded_by_its_outcome(
    account, zalo_api, make_message, sms_outbox
):
    message = make_message()
    zalo_api.send_ok(msg_id="m1")
    send_messages([message.idempotency_key])
    step = FallbackStep.objects.get(message=message)
    _due_now(step)
    claimed = fallback_sending.claim(step.reference)
    receipt(message.pk, timezone.now(), "m1")  # the step is "sending": left to its worker
    assert FallbackStep.objects.get(pk=step.pk).status == "sending"
    claimed.text = "Don hang DH000001"
    result = locmem.LocmemProvider({}).send(message.phone, claimed.text, reference=step.reference)
    assert fallback_sending.record_result(claimed, result)
    step.refresh_from_db()
    assert step.status == "sent" and step.double_cost


def test_undelivered_sends_the_window_sms_now(account, zalo_api, make_message, heard):
    message = make_message()
    zalo_api.send_ok(msg_id="m1")
    send_messages([message.idempotency_key])
    message.refresh_from_db()
    assert record_undelivered(message, "timeout")
    step = FallbackStep.objects.get(message=message)
    assert (step.reason, step.trigger) == ("immediate", "undelivered")
    assert step.due_at <= timezone.now()
    assert [(s, kw["reason"]) for s, kw in heard] == [(signals.fallback_triggered, "immediate")]


def test_sms_waits_while_the_zns_message_is_in_flight(make_message, sms_outbox):
    message = make_message(status=Message.Status.SENDING)
    step = FallbackStep.objects.create(
        message=message,
        reference=f"{message.idempotency_key}-sms",
        reason="window",
        trigger="window",
        due_at=timezone.now() - dt.timedelta(seconds=1),
    )
    assert send_fallbacks([step.reference]) == 0
    step.refresh_from_db()
    assert step.status == "scheduled" and step.due_at > timezone.now()
    assert sms_outbox == []


def test_step_of_a_cancelled_message_is_cancelled(make_message, sms_outbox):
    message = make_message(status=Message.Status.CANCELLED)
    step = FallbackStep.objects.create(
        message=message,
        reference="r-sms",
        reason="immediate",
        trigger="failed",
        due_at=timezone.now(),
    )
    assert send_fallbacks([step.reference]) == 0
    assert FallbackStep.objects.get(pk=step.pk).status == "cancelled"


# -- retries, failures, recovery -------------------------------------------------------


def _failed_step(make_message) -> FallbackStep:
    message = make_message(status=Message.Status.FAILED)
    return FallbackStep.objects.create(
        message=message,
        reference=f"{message.idempotency_key}-sms",
        reason="immediate",
        trigger="not_on_zalo",
        due_at=timezone.now(),
    )


def test_provider_down_is_retried_with_backoff_then_sent(make_message, sms_outbox):
    step = _failed_step(make_message)
    locmem.queue_failure("retryable", code="HTTP 503", message="down", times=2)
    for attempt in (1, 2):
        assert send_fallbacks([step.reference]) == 1
        step.refresh_from_db()
        assert (step.status, step.attempts, step.error_kind) == ("scheduled", attempt, "retryable")
        assert step.due_at > timezone.now()
        _due_now(step)
    assert send_fallbacks([step.reference]) == 1
    step.refresh_from_db()
    assert (step.status, step.attempts) == ("sent", 3)
    assert [sms.reference for sms in sms_outbox] == [step.reference]


def test_retries_run_out_after_max_attempts(make_message, sms_outbox, settings, heard):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "MAX_ATTEMPTS": 2}
    step = _failed_step(make_message)
    locmem.queue_failure("retryable", times=5)
    send_fallbacks([step.reference])
    _due_now(step)
    send_fallbacks([step.reference])
    step.refresh_from_db()
    assert (step.status, step.attempts) == ("failed", 2)
    [(signal, kwargs)] = heard
    assert signal is signals.sms_failed and kwargs["error_kind"] == "retryable"


def test_permanent_error_fails_at_once(make_message, sms_outbox, heard):
    step = _failed_step(make_message)
    locmem.queue_failure("permanent", code="99", message="blocked")
    send_fallbacks([step.reference])
    step.refresh_from_db()
    assert (step.status, step.error_kind) == ("failed", "permanent")
    assert "blocked" in step.error_message
    assert [s for s, _ in heard] == [signals.sms_failed]


def test_ambiguous_timeout_is_retried_with_the_same_reference(make_message, sms_outbox):
    step = _failed_step(make_message)
    locmem.queue_failure("retryable", ambiguous=True, delivered=True)
    send_fallbacks([step.reference])
    assert len(sms_outbox) == 1  # the provider took it; we only learnt that it may have
    _due_now(step)
    send_fallbacks([step.reference])
    step.refresh_from_db()
    assert step.status == "sent" and step.result["duplicate"] is True
    assert len(sms_outbox) == 1


def test_step_left_sending_by_a_dead_worker_is_sent_again_once(make_message, sms_outbox, settings):
    step = _failed_step(make_message)
    claimed = fallback_sending.claim(step.reference)
    # The worker sent the SMS, then died before recording it.
    locmem.LocmemProvider({}).send(claimed.message.phone, "Don hang", reference=step.reference)
    lease = dt.timedelta(seconds=settings.ZNS_NOTIFY.get("SEND_LEASE", 300) + 1)
    FallbackStep.objects.filter(pk=step.pk).update(claimed_at=timezone.now() - lease)
    fallback_sending.sweep()
    step.refresh_from_db()
    assert (step.status, step.attempts) == ("scheduled", 1)
    _due_now(step)
    assert send_fallbacks([step.reference]) == 1
    step.refresh_from_db()
    assert step.status == "sent" and step.result["duplicate"] is True
    assert len(sms_outbox) == 1


@pytest.mark.parametrize("change", ["deleted", "turned off"])
def test_binding_deleted_or_turned_off_cancels_the_pending_sms(
    make_message, sms_binding, sms_outbox, change
):
    step = _failed_step(make_message)
    if change == "deleted":
        Message.objects.filter(pk=step.message_id).update(binding=None)
    else:
        type(sms_binding).objects.filter(pk=sms_binding.pk).update(sms_enabled=False)
    assert send_fallbacks([step.reference]) == 0
    assert FallbackStep.objects.get(pk=step.pk).status == "cancelled"
    assert any("turned off" in note for note in _notes(step.message))
    assert sms_outbox == []


def test_emptied_text_fails_the_step_with_a_reason(make_message, sms_binding, sms_outbox):
    step = _failed_step(make_message)
    type(sms_binding).objects.filter(pk=sms_binding.pk).update(sms_text=" ")
    send_fallbacks([step.reference])
    step.refresh_from_db()
    assert (step.status, step.error_kind) == ("failed", "permanent")
    assert "no SMS text" in step.error_message
    assert sms_outbox == []


def test_text_that_raises_when_rendered_fails_the_step(make_message, sms_binding, sms_outbox):
    step = _failed_step(make_message)
    type(sms_binding).objects.filter(pk=sms_binding.pk).update(sms_text="{% if %}")
    send_fallbacks([step.reference])
    step.refresh_from_db()
    assert step.status == "failed" and "does not render" in step.error_message


def test_ambiguous_zns_given_up_waits_a_window_for_its_receipt(make_message, settings):
    from zns_notify.sending import ambiguity

    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "AMBIGUOUS_SENDS": "fail"}
    message = make_message(status=Message.Status.SENDING, attempts=1)
    assert ambiguity.recover(message)
    step = FallbackStep.objects.get(message=message)
    assert (step.reason, step.trigger, step.status) == ("window", "failed", "scheduled")
    assert step.due_at > timezone.now() + dt.timedelta(minutes=4)


def test_text_over_the_segment_limit_fails_the_step(make_message, sms_binding, sms_outbox):
    step = _failed_step(make_message)
    type(sms_binding).objects.filter(pk=sms_binding.pk).update(
        sms_text="{{ params.order_code }}" * 100
    )
    send_fallbacks([step.reference])
    step.refresh_from_db()
    assert step.status == "failed" and "segments" in step.error_message
    assert sms_outbox == []


def test_no_provider_configured_is_retried_as_configuration(make_message, sms_outbox, settings):
    step = _failed_step(make_message)
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SMS_PROVIDER": None}
    send_fallbacks([step.reference])
    step.refresh_from_db()
    assert (step.status, step.error_kind) == ("scheduled", "configuration")
    assert "SMS_PROVIDER" in step.error_message


def test_sweep_queues_an_immediate_step_only_once_its_task_counts_as_lost(make_message, settings):
    step = _failed_step(make_message)  # its task was queued when it was scheduled
    assert fallback_sending.sweep() == 0
    lost = settings.ZNS_NOTIFY.get("LOST_TASK_AFTER", 120) + 1
    FallbackStep.objects.filter(pk=step.pk).update(
        due_at=timezone.now() - dt.timedelta(seconds=lost)
    )
    assert fallback_sending.sweep() == 1


def test_a_second_trigger_for_the_same_message_adds_nothing(make_message, heard):
    from zns_notify.fallback import steps as fallback

    message = make_message(status=Message.Status.FAILED)
    fallback.schedule_now(message, "not_on_zalo")
    fallback.schedule_now(message, "failed")
    assert FallbackStep.objects.filter(message=message).count() == 1
    assert FallbackStep.objects.get(message=message).trigger == "not_on_zalo"
    assert len(heard) == 1


def test_a_batch_schedules_every_sent_message_s_window(account, zalo_api, make_message):
    messages = [make_message(order_pk=str(n)) for n in range(3)]
    for n in range(3):
        zalo_api.send_ok(msg_id=f"m{n}")
    assert send_messages([m.idempotency_key for m in messages]) == 3
    steps = FallbackStep.objects.filter(message__in=messages)
    assert sorted(steps.values_list("status", flat=True)) == ["scheduled"] * 3
    for step in steps.select_related("message"):
        assert step.due_at == step.message.sent_at + dt.timedelta(minutes=5)


def test_a_receipt_that_beat_the_send_cancels_the_window_at_once(
    account, zalo_api, make_message, sms_outbox
):
    import json

    from tests.receipts.test_webhooks import APP_ID
    from tests.receipts.test_webhooks import receipt as receipt_body
    from zns_notify.receipts import inbox

    message = make_message()
    body = receipt_body(msg_id="early-1")
    assert inbox.receive(body, json.loads(body), APP_ID, None) == "unmatched"
    zalo_api.send_ok(msg_id="early-1")
    send_messages([message.idempotency_key])
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert FallbackStep.objects.get(message=message).status == "cancelled"
