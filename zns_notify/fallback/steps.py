"""The ZNS → SMS fallback: scheduling the SMS step in the ZNS outcome's transaction.

Every function here runs inside the transaction that records a ZNS outcome, after the
conditional UPDATE that proved this caller made the transition, so the step exists
exactly when the outcome does: a worker killed after that commit leaves a step the
sweeper finds, never a message that was meant to fall back and did not. See
docs/fallback.md; the SMS itself is sent by :mod:`zns_notify.fallback.sending`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from zns_notify import signals, sms
from zns_notify.conf import app_settings
from zns_notify.fallback import codes, triggers
from zns_notify.models import Binding, Message, MessageEvent, holds_code, sms_triggers
from zns_notify.models.fallback import FallbackStep

logger = logging.getLogger(__name__)

#: The SMS reaches the provider as the message's tracking_id plus this suffix, on every
#: try: 43 + 4 characters, within eSMS's RequestId and the step's unique column.
REFERENCE_SUFFIX = "-sms"
TASK_SEND = "zns_notify.tasks.send_fallbacks"


def reference_for(message: Message) -> str:
    return f"{message.idempotency_key}{REFERENCE_SUFFIX}"


def binding_with_sms(message: Message) -> Binding | None:
    """The message's binding when it has the SMS fallback on. The workers' claims select
    the binding with the message, so this costs no query on the send path.

    Never for a development-mode message: Zalo delivers those only to the OA's admins
    (zns-api.md §8), so its refusal (-127) or missing receipt says nothing about the
    customer, who must not be texted a paid SMS for a test. Nor for an operator's resend
    whose original already went out as SMS (one query, for resent copies only)."""
    if not message.binding_id or message.development_mode:
        return None
    binding = message.binding
    if binding is None or not binding.sms_enabled:
        return None
    if message.resent_from_id and sms_went_out_for_original(message):
        return None
    return binding


#: How far back a chain of resends is followed (a resend of a resend of …).
RESEND_CHAIN_LIMIT = 10


def sms_went_out_for_original(message: Message) -> bool:
    """An earlier message of ``message``'s resend chain had its SMS sent (or being sent):
    the customer has the notice by SMS, and a copy must not text them a second time."""
    pk = message.resent_from_id
    for _hop in range(RESEND_CHAIN_LIMIT):
        row = (
            (
                Message.objects.filter(pk=pk)
                .values_list("resent_from_id", "fallback_step__status")
                .first()
            )
            if pk
            else None
        )
        if row is None:
            return False
        if row[1] in (FallbackStep.Status.SENT, FallbackStep.Status.SENDING):
            return True
        pk = row[0]
    return False


def window(binding: Binding) -> dt.timedelta:
    return dt.timedelta(minutes=binding.sms_window_minutes)


@dataclass(frozen=True)
class Plan:
    """The SMS fallback of one message: the trigger categories that send it at once, and
    how long a receipt is waited for: from when Zalo took the message, or with
    ``from_request`` from when the message was written (a one-time code: its customer has
    been waiting since the request, however long the message took to reach Zalo)."""

    triggers: frozenset[str]
    window: dt.timedelta
    from_request: bool = False
    #: Every wait for an administrator (a hold) or for tomorrow (the quota) is given up
    #: for the SMS, chosen or not: a one-time code would expire first.
    never_waits: bool = False

    def window_end(self, message: Message, at: dt.datetime) -> dt.datetime:
        """When ``message``'s SMS is due without a receipt, Zalo having taken it (or
        perhaps taken it) at ``at``; never before ``at``: a window already over is due now."""
        start = message.created_at if self.from_request else at
        return max(at, start + self.window)


def plan_for(message: Message) -> Plan | None:
    """The message's plan: its binding's choices, or for a one-time code's message (which
    has no binding) the ``OTP_*`` settings while an SMS provider is set; None: no SMS.
    Never for a development-mode message (:func:`binding_with_sms` says why)."""
    if holds_code(message):
        if message.development_mode or not sms.is_enabled():
            return None
        after = dt.timedelta(seconds=app_settings.OTP_SMS_AFTER)
        return Plan(codes.TRIGGERS, after, from_request=True, never_waits=True)
    binding = binding_with_sms(message)
    if binding is None:
        return None
    return Plan(frozenset(chosen_triggers(binding)), window(binding))


def immediate_trigger(
    message: Message, action: str, code: int | None, *, final: bool, waits: bool = False
) -> str | None:
    """The trigger category when this ZNS outcome sends the SMS at once for the message's
    binding, else None. ``final``: the message fails for good; otherwise it would wait
    (a hold, the quota), which only the ``template`` and ``quota`` triggers give up.
    ``waits``: that wait has a known end (not a retry's backoff), which a plan that
    :attr:`~Plan.never_waits` gives up whatever its cause."""
    plan = plan_for(message)
    if plan is None:
        return None
    category = triggers.category(action, code, final=final)
    chosen = plan.triggers
    if category in chosen:
        return category
    if final and category in triggers.WAITS and sms_triggers.FAILED in chosen:
        # Not chosen, "template" and "quota" only mean: do not give up the wait for an
        # SMS. A wait that ended in failure (held too long) is a final failure like any.
        return sms_triggers.FAILED
    if waits and plan.never_waits:
        return triggers.given_up_wait(action, code)
    return None


def schedule_window(
    message: Message, sent_at: dt.datetime, steps: list[FallbackStep] | None = None
) -> None:
    """Zalo accepted ``message``: the SMS is due at the window's end (:meth:`Plan.window_end`)
    unless a receipt cancels it first (:mod:`zns_notify.fallback.receipts`). One INSERT, only for
    bindings with the fallback on; ``steps``: a list the caller inserts in one statement
    for its whole batch, in the same transaction, instead."""
    plan = plan_for(message)
    if plan is None:
        return
    step = _step(
        message,
        FallbackStep.Reason.WINDOW,
        sms_triggers.WINDOW,
        plan.window_end(message, sent_at),
        created_at=sent_at,
    )
    if steps is None:
        insert([step])
    else:
        steps.append(step)


def insert(steps: list[FallbackStep], using: str | None = None) -> None:
    """Insert new steps. The messages' own conditional UPDATEs made their callers the only
    ones; the unique message column still arbitrates, and a conflict must never undo the
    ZNS outcomes recorded in the same transaction."""
    if steps:
        FallbackStep.objects.using(using).bulk_create(steps, ignore_conflicts=True)


def schedule_now(message: Message, trigger: str, now: dt.datetime | None = None) -> None:
    """The ZNS outcome ``trigger`` means Zalo will not deliver: the SMS is due now. Sends
    ``fallback_triggered`` and queues the SMS task once this transaction commits."""
    now = now or timezone.now()
    step = _step(message, FallbackStep.Reason.IMMEDIATE, trigger, now, created_at=now)
    try:
        # A savepoint (a rare path: a final failure): a step that is there already is the
        # one that counts, and the conflict must not undo the ZNS outcome.
        with transaction.atomic(using=router.db_for_write(FallbackStep)):
            step.save(force_insert=True)
    except IntegrityError:
        return
    _note(
        message.pk, now, _("SMS fallback: %(why)s; the SMS is sent now.") % {"why": label(trigger)}
    )
    triggered(message, step, now)


def schedule_after_ambiguous(message: Message, now: dt.datetime) -> None:
    """The ZNS message is given up after sends whose outcome is unknown: Zalo may have
    accepted one, so its receipt may still come. The SMS waits one window for it, like a
    sent message's."""
    message = Message.objects.select_related("binding").get(pk=message.pk)
    plan = plan_for(message)
    if plan is None:
        return
    insert(
        [
            _step(
                message,
                FallbackStep.Reason.WINDOW,
                sms_triggers.FAILED,
                plan.window_end(message, now),
                created_at=now,
            )
        ]
    )


def on_undelivered(message: Message, now: dt.datetime | None = None) -> None:
    """Zalo reports the sent message undelivered: with the ``undelivered`` trigger the
    window's SMS is sent now instead of at the window's end."""
    now = now or timezone.now()
    plan = plan_for(message)
    if plan is None or sms_triggers.UNDELIVERED not in plan.triggers:
        return
    # attempts=0: a window step tried already has announced fallback_triggered.
    moved = FallbackStep.objects.filter(
        message_id=message.pk,
        status=FallbackStep.Status.SCHEDULED,
        reason=FallbackStep.Reason.WINDOW,
        attempts=0,
    ).update(reason=FallbackStep.Reason.IMMEDIATE, trigger=sms_triggers.UNDELIVERED, due_at=now)
    if not moved:
        steps = FallbackStep.objects.filter(message_id=message.pk)
        if not steps.exists():
            schedule_now(message, sms_triggers.UNDELIVERED, now)
        else:  # already being tried: sooner, without a second announcement
            steps.filter(status=FallbackStep.Status.SCHEDULED).update(due_at=now)
        return
    step = FallbackStep.objects.get(message_id=message.pk)
    _note(
        message.pk,
        now,
        _("SMS fallback: %(why)s; the SMS is sent now.") % {"why": label(sms_triggers.UNDELIVERED)},
    )
    triggered(message, step, now)


def cancel_for_resend(
    original: Message, copy: Message, now: dt.datetime, using: str | None = None
) -> bool:
    """An operator resent ``original`` as ``copy``: the copy is the notice now, with its
    own step if Zalo fails it again, so the original's SMS not yet claimed is cancelled
    (the caller holds the original's row lock: see the lock order in
    :mod:`zns_notify.fallback.sending`). A step being sent or sent is left as it is."""
    return cancel_scheduled(
        original.pk,
        now,
        _("SMS fallback cancelled: the message was resent as message #%(pk)s.") % {"pk": copy.pk},
        using,
    )


def cancel_scheduled(
    message_pk: int, now: dt.datetime, detail: str, using: str | None = None
) -> bool:
    """Cancel the message's SMS step if it is still scheduled (not claimed: a step being
    sent or sent is left as it is), with ``detail`` as the timeline's note; True when it
    was. One conditional UPDATE, so it never races the sender's claim."""
    cancelled = (
        FallbackStep.objects.using(using)
        .filter(message_id=message_pk, status=FallbackStep.Status.SCHEDULED)
        .update(status=FallbackStep.Status.CANCELLED, cancelled_at=now)
    )
    if cancelled:
        MessageEvent.objects.using(using).create(
            message_id=message_pk, kind=MessageEvent.Kind.NOTE, at=now, detail=detail[:2000]
        )
    return bool(cancelled)


def chosen_triggers(binding: Binding) -> list[str]:
    return binding.sms_triggers if isinstance(binding.sms_triggers, list) else []


def triggered(message: Message, step: FallbackStep, now: dt.datetime) -> None:
    """After the commit: ``fallback_triggered`` and the SMS task (the sweeper sends the
    step anyway if the task is lost)."""
    using = router.db_for_write(FallbackStep)
    signals.announce_on_commit(
        signals.fallback_triggered, using=using, message=message, step=step, reason=step.reason
    )
    transaction.on_commit(partial(push_fallback_task, [step.reference]), using=using, robust=True)
    logger.info("zns message %s falls back to SMS (%s, %s)", message.pk, step.reason, step.trigger)


def push_fallback_task(references: list[str]) -> None:
    async_task(
        TASK_SEND,
        references,
        cluster=app_settings.QUEUE_CLUSTER,
        task_name=f"zns-sms:{references[0]}",
    )


def label(trigger: str) -> str:
    """A trigger category in words, for the timeline."""
    words = {
        sms_triggers.NOT_ON_ZALO: _("the phone is not on Zalo or cannot receive ZNS"),
        sms_triggers.REFUSED: _("the customer refused or blocked ZNS"),
        sms_triggers.TEMPLATE: _("the template cannot be sent"),
        sms_triggers.QUOTA: _("the ZNS quota is used up"),
        sms_triggers.FAILED: _("the ZNS message failed"),
        sms_triggers.UNDELIVERED: _("Zalo reports it undelivered"),
        sms_triggers.WINDOW: _("no delivery receipt within the window"),
    }
    return str(words.get(trigger, trigger))


def _step(
    message: Message, reason: str, trigger: str, due_at: dt.datetime, *, created_at: dt.datetime
) -> FallbackStep:
    return FallbackStep(
        message_id=message.pk,
        reference=reference_for(message),
        reason=reason,
        trigger=trigger,
        due_at=due_at,
        created_at=created_at,
    )


def _note(message_pk: int, at: dt.datetime, detail: str) -> None:
    MessageEvent.objects.create(
        message_id=message_pk, kind=MessageEvent.Kind.NOTE, at=at, detail=detail[:2000]
    )
