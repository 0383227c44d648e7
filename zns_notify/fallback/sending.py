"""Worker side of the SMS fallback: claim a due step, render its text, send, record.

Like a ZNS message (zns_notify.sending.claim and .record): the claim is a conditional UPDATE
``scheduled → sending`` that increments ``attempts``, every outcome write requires that
same attempt number, and provider errors never raise. The step's ``reference`` goes to
the provider on every try, so a retry after a timeout is answered "duplicate" by eSMS
instead of sending a second SMS.

Lock order, the same everywhere (receipts, claims, outcomes): the message row first,
then its step; a one-time code's request (OtpChallenge) is never written under them (its
check locks the request first, then the message). A receipt marks the message delivered
before it looks at the step; a claim and an outcome lock the message before they write
the step. So a receipt and an SMS can never both miss each other: either the receipt
cancels the step before it is claimed, or the SMS outcome sees the receipt and records
the double cost, or the receipt sees the sent step and does (:mod:`zns_notify.fallback.receipts`).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.conf import Conf

from zns_notify import signals, sms
from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError, ZnsInvalidPhone
from zns_notify.fallback import codes
from zns_notify.fallback.steps import label, push_fallback_task
from zns_notify.fallback.texts import render_text
from zns_notify.lib.delays import backoff
from zns_notify.models import Message, MessageEvent, holds_code, is_code_event
from zns_notify.models.fallback import FallbackStep
from zns_notify.policy import rules as policy

logger = logging.getLogger(__name__)

SCHEDULED, SENDING = FallbackStep.Status.SCHEDULED, FallbackStep.Status.SENDING
#: Message statuses after which the SMS may go: Zalo failed it, or it is sent without a
#: receipt (the window), or Zalo reported it undelivered.
SENDABLE = (Message.Status.SENT, Message.Status.FAILED, Message.Status.UNDELIVERED)
#: Still in Zalo's hands (claimed, or waiting for an ambiguous send's receipt): the SMS
#: waits, so that a message Zalo may still deliver is not sent twice.
IN_FLIGHT = (Message.Status.QUEUED, Message.Status.SENDING)
#: How long a due SMS waits for a ZNS message still in flight before it looks again.
IN_FLIGHT_WAIT = dt.timedelta(minutes=1)


# -- claiming ------------------------------------------------------------------------------


def claim(reference: str, now: dt.datetime | None = None) -> FallbackStep | None:
    """Take the due step ``reference``; None when it is not due, not ours, or no longer
    needed (a receipt came: cancelled here) or must wait (the ZNS message is in flight)."""
    now = now or timezone.now()
    found = (
        FallbackStep.objects.filter(reference=reference, status=SCHEDULED, due_at__lte=now)
        .values_list("pk", "message_id")
        .first()
    )
    if found is None:
        return None
    pk, message_pk = found
    with transaction.atomic():
        state = _lock_message(message_pk, with_binding=True)
        if state is None or state[0] == Message.Status.DELIVERED or state[1] is not None:
            _cancel(
                pk,
                message_pk,
                now,
                _("SMS fallback cancelled: Zalo delivered the message.")
                if state is not None
                else "",
            )
            return None
        if is_code_event(state[6]) and codes.no_longer_valid(message_pk, now):
            # Never two codes that work: a code verified, replaced or expired is not sent.
            reason = _("SMS fallback cancelled: the one-time code is no longer valid.")
            _cancel(pk, message_pk, now, reason)
            return None
        if not state[2] and not is_code_event(state[6]):
            _cancel(
                pk,
                message_pk,
                now,
                _(
                    "SMS fallback cancelled: the binding's SMS fallback "
                    "was turned off, or the binding deleted."
                ),
            )
            return None
        if state[0] in IN_FLIGHT:
            FallbackStep.objects.filter(pk=pk, status=SCHEDULED).update(due_at=now + IN_FLIGHT_WAIT)
            return None
        if state[0] not in SENDABLE:  # skipped or cancelled by the policy: nothing to stand in for
            _cancel(
                pk,
                message_pk,
                now,
                _("SMS fallback cancelled: the message was %(status)s.") % {"status": state[0]},
            )
            return None
        tag = state[4] or policy.NO_TAG
        # A one-time code's SMS, like its message, is not for the shop's rules for
        # notices (zns_notify.policy.rules.check): only its code's validity counts.
        shop_rules = not is_code_event(state[6])
        if shop_rules and policy.opted_out(state[3], tag):
            # The customer opted out while the SMS waited (its window, a retry): the
            # policy's opt-out holds for the SMS as for the ZNS message it stands in for.
            _cancel(
                pk,
                message_pk,
                now,
                _("SMS fallback cancelled: the recipient opted out of %(tag)s messages.")
                % {"tag": tag},
            )
            return None
        if (state[5] or "").strip():
            # The binding's condition, asked again as for the ZNS message: a reminder
            # whose order was paid during the window is no longer true.
            message = Message.objects.select_related("binding").get(pk=message_pk)
            cancelled = policy.condition_decision(message, now)
            if cancelled is not None:
                _cancel(
                    pk,
                    message_pk,
                    now,
                    _("SMS fallback not sent. %(reason)s") % {"reason": cancelled},
                )
                return None
        quiet = policy.quiet_hours(tag, now) if shop_rules else None
        if quiet is not None:
            # The shop's quiet hours for the message's tag hold for its SMS too: it waits
            # for their end (the sweeper queues it then), unclaimed, like the message would.
            if FallbackStep.objects.filter(pk=pk, status=SCHEDULED).update(due_at=quiet.until):
                _note(message_pk, now, _("SMS fallback waits: %(reason)s") % {"reason": quiet})
            return None
        if not FallbackStep.objects.filter(pk=pk, status=SCHEDULED, due_at__lte=now).update(
            status=SENDING, attempts=F("attempts") + 1, claimed_at=now
        ):
            return None
        step = FallbackStep.objects.select_related("message", "message__binding").get(pk=pk)
        if step.attempts == 1 and step.reason == FallbackStep.Reason.WINDOW:
            # The window ran out without a receipt: this claim is the decision.
            _note(
                message_pk,
                now,
                _("SMS fallback: %(why)s; the SMS is sent now.") % {"why": label(step.trigger)},
            )
            signals.announce_on_commit(
                signals.fallback_triggered, message=step.message, step=step, reason=step.reason
            )
    return step


def _lock_message(pk: int, *, with_binding: bool = False) -> tuple | None:
    """(status, delivered_at[, its binding's sms_enabled, phone, its template's tag, its
    binding's condition, event]) of the message, its row (only its row: ``of=("self",)``) locked
    for this transaction."""
    columns = (
        (
            "status",
            "delivered_at",
            "binding__sms_enabled",
            "phone",
            "template__tag",
            "binding__condition",
            "event",
        )
        if with_binding
        else ("status", "delivered_at")
    )
    return (
        Message.objects.select_for_update(of=("self",)).filter(pk=pk).values_list(*columns).first()
    )


def _cancel(pk: int, message_pk: int, now: dt.datetime, detail: str) -> None:
    if (
        FallbackStep.objects.filter(pk=pk, status=SCHEDULED).update(
            status=FallbackStep.Status.CANCELLED, cancelled_at=now
        )
        and detail
    ):
        _note(message_pk, now, detail)


# -- sending ---------------------------------------------------------------------------


def send(reference: str) -> FallbackStep | None:
    """Claim, render and send the step ``reference`` if it is due; record the outcome.
    Returns the step when this call recorded an outcome. Never raises for the provider's
    answers or a text that cannot be sent."""
    step = claim(reference)
    if step is None:
        return None
    try:
        text = render_text(step)
        result = sms.send_sms(step.message.phone, text, reference=step.reference)
    except (sms.SmsInvalidText, ZnsInvalidPhone) as exc:  # SmsTooLong is an SmsInvalidText
        return step if record_error(step, sms.SmsErrorKind.PERMANENT, str(exc)) else None
    except ZnsConfigurationError as exc:  # the provider's, or any SMS_… setting's
        return step if record_error(step, sms.SmsErrorKind.CONFIGURATION, str(exc)) else None
    except Exception as exc:  # a bug or the host's code in the text: never a step left sending
        logger.exception("zns SMS fallback %s raised unexpectedly", reference)
        reason = _("The SMS could not be prepared (%(error)s).") % {
            "error": f"{type(exc).__name__}: {exc}"
        }
        return step if record_error(step, sms.SmsErrorKind.PERMANENT, reason) else None
    # The text as the provider was sent it (send_sms prepared the same text with the same
    # settings): the log shows what the customer received, diacritics stripped or not.
    step.text = sms.prepare_text(text, max_segments=255).text
    if holds_code(step.message):
        step.text = codes.hidden(step.message, step.text)
    return step if record_result(step, result) else None


# -- recording -------------------------------------------------------------------------


def record_result(step: FallbackStep, result: sms.SmsResult) -> bool:
    """The provider's answer; False when the step is no longer this worker's claim."""
    if result.accepted:
        return _record_sent(step, result)
    kind = result.error_kind or sms.SmsErrorKind.RETRYABLE
    if result.ambiguous and not sms.get_provider().idempotent:
        # The SMS may have gone out and this provider would send it again: at most once.
        return record_error(
            step,
            sms.SmsErrorKind.PERMANENT,
            _(
                "%(result)s. The provider may have taken it and does not refuse a repeated "
                "reference, so it is not sent again."
            )
            % {"result": result},
            result=result,
        )
    return record_error(step, kind, str(result), result=result)


def _record_sent(step: FallbackStep, result: sms.SmsResult) -> bool:
    now = timezone.now()
    if result.duplicate and result.cost is None:
        # The provider's "already sent" echo carries no cost (sms.md): the first answer,
        # which did, was lost with a timeout or a dead worker, or this step would not be
        # sent again. The one SMS was billed: the step records its cost, once.
        result = result.with_cost(sms.estimate_cost(result.segments), estimate=True)
    record = _without_code(step, result.as_record())
    with transaction.atomic():
        state = _lock_message(step.message_id)  # before the step: see the module's lock order
        delivered = state is not None and (
            state[0] == Message.Status.DELIVERED or state[1] is not None
        )
        fields = dict(
            status=FallbackStep.Status.SENT,
            sent_at=now,
            text=step.text,
            provider=result.provider,
            provider_message_id=result.message_id[:64],
            encoding=result.encoding,
            segments=result.segments,
            cost=result.cost,
            error_kind="",
            error_message="",
            result=record,
            double_cost=delivered,
        )
        if not _owned(step).update(**fields):
            return False
        for name, value in fields.items():
            setattr(step, name, value)
        _note(
            step.message_id,
            now,
            _("SMS sent by %(provider)s (id %(id)s, %(segments)s segment(s)).")
            % {
                "provider": result.provider,
                "id": result.message_id or "?",
                "segments": result.segments,
            },
        )
        if delivered:
            _note(step.message_id, now, double_cost_note(step))
        if is_code_event(step.message.event):
            # After the commit, not under the message's lock: a check of the code locks its
            # request, then the message (to clear the code); writing the request here
            # would take the two the other way round and deadlock with it. Robust: the SMS
            # is sent and recorded whatever becomes of this column.
            message_pk = step.message_id
            transaction.on_commit(lambda: codes.sent_by_sms(message_pk), robust=True)
        signals.announce_on_commit(signals.sms_sent, message=step.message, step=step)
    logger.info("zns SMS fallback %s sent (%s)", step.reference, result.message_id)
    return True


def record_error(
    step: FallbackStep, kind: str, reason: str, *, result: sms.SmsResult | None = None
) -> bool:
    """A try that did not send: again after a backoff (retryable and configuration errors,
    at most ``MAX_ATTEMPTS`` tries), else failed for good."""
    now = timezone.now()
    again = kind != sms.SmsErrorKind.PERMANENT and step.attempts < app_settings.MAX_ATTEMPTS
    status = SCHEDULED if again else FallbackStep.Status.FAILED
    # The reason goes to the step, the delivery log's note, the signal and the server's
    # log: a gateway's error may quote the text, code included.
    reason = _without_code(step, reason)
    fields = dict(
        status=status,
        error_kind=str(kind),
        error_message=reason[:2000],
        result=_without_code(step, result.as_record()) if result is not None else {},
        text=getattr(step, "text", "") or "",
    )
    if again:
        fields["due_at"] = now + backoff(step.attempts)
    with transaction.atomic():
        _lock_message(step.message_id)
        if not _owned(step).update(**fields):
            return False
        for name, value in fields.items():
            setattr(step, name, value)
        if again:
            detail = _("SMS not sent (%(reason)s); tried again at %(at)s.") % {
                "reason": reason,
                "at": timezone.localtime(fields["due_at"]).strftime("%H:%M:%S"),
            }
        else:
            detail = _("SMS fallback failed: %(reason)s") % {"reason": reason}
            signals.announce_on_commit(
                signals.sms_failed,
                message=step.message,
                step=step,
                error_kind=str(kind),
                reason=reason,
            )
        _note(step.message_id, now, detail)
    logger.warning(
        "zns SMS fallback %s attempt %s: %s [%s]", step.reference, step.attempts, reason, kind
    )
    return True


def _without_code(step: FallbackStep, value):
    """``value`` as stored for ``step``: for a one-time code's message, the code hidden
    wherever the provider's answer or error echoed the text (docs/otp.md)."""
    if not holds_code(step.message):
        return value
    return codes.hidden_record(step.message, value)


def double_cost_note(step: FallbackStep) -> str:
    return _(
        "Double cost: Zalo delivered the message and the SMS %(id)s went out too; both are billed."
    ) % {"id": step.provider_message_id or step.reference}


def _owned(step: FallbackStep):
    return FallbackStep.objects.filter(pk=step.pk, attempts=step.attempts, status=SENDING)


def _note(message_pk: int, at: dt.datetime, detail: str) -> None:
    MessageEvent.objects.create(
        message_id=message_pk, kind=MessageEvent.Kind.NOTE, at=at, detail=detail[:2000]
    )


# -- recovery (the sweeper) ----------------------------------------------------------------

#: Steps looked at per sweep, like the messages' SWEEP_BATCH.
SWEEP_BATCH = 1000


def sweep(now: dt.datetime | None = None) -> int:
    """Recover steps whose worker died, and queue the due steps that have no task: window
    steps and retries (none is queued before they are due), and immediate steps whose
    task was lost (not claimed ``LOST_TASK_AFTER`` after they came due; until then their
    task is taken to be in the queue, so that a backlog does not gain a task a minute). A
    step queued twice is claimed once. Returns how many were queued."""
    now = now or timezone.now()
    recover_stale(now)
    lost_after = dt.timedelta(seconds=app_settings.LOST_TASK_AFTER)
    queued_at_commit = Q(
        reason=FallbackStep.Reason.IMMEDIATE, attempts=0, due_at__gt=now - lost_after
    )
    due = list(
        FallbackStep.objects.filter(status=SCHEDULED, due_at__lte=now)
        .exclude(queued_at_commit)
        .order_by("due_at", "id")
        .values_list("reference", flat=True)[:SWEEP_BATCH]
    )
    per_task = app_settings.SEND_BATCH
    for start in range(0, len(due), per_task):
        push_fallback_task(due[start : start + per_task])
    if due:
        logger.info("zns sweep: %s SMS fallback step(s) queued", len(due))
    return len(due)


def step_lease() -> dt.timedelta:
    """How long a step may stay "sending" before its worker is taken for dead. A step is one
    provider call on the task's thread, which renews no lease while it waits (unlike a ZNS
    send's, :mod:`zns_notify.sending.lease`): only once its task cannot still run, past
    django-q2's timeout (which kills it), is the step surely its dead worker's. Never
    sooner than ``SEND_LEASE``."""
    return dt.timedelta(seconds=max(app_settings.SEND_LEASE, float(Conf.TIMEOUT or 0)))


def recover_stale(now: dt.datetime) -> int:
    """Steps left "sending" past :func:`step_lease`: the worker died, maybe after the
    provider took the SMS. With an idempotent provider (eSMS) the step is due again with the
    same reference, which the provider answers "duplicate" if it was sent; otherwise it
    fails, so that the customer never gets two SMS."""
    stale = FallbackStep.objects.filter(status=SENDING, claimed_at__lt=now - step_lease())
    recovered = 0
    for step in stale.select_related("message")[:SWEEP_BATCH]:
        reason = _("its worker stopped without recording the provider's answer")
        try:
            idempotent = sms.get_provider().idempotent
        except ZnsConfigurationError:  # SMS_PROVIDER_OPTIONS too, not only the provider's
            idempotent = False
        if idempotent:
            recovered += record_error(step, sms.SmsErrorKind.RETRYABLE, reason)
        else:
            recovered += record_error(
                step,
                sms.SmsErrorKind.PERMANENT,
                _(
                    "%(reason)s; the provider may have taken it and does not refuse a repeated "
                    "reference, so it is not sent again."
                )
                % {"reason": reason},
            )
    return recovered
