"""Recording a send's outcome on its message: sent, waiting, retried, failed or ambiguous,
with its timeline entry, its signal and the quota ledger.

Every write is fenced on the claim's ``attempts`` (:mod:`zns_notify.sending.claim`): False
means the row is no longer this worker's (recovered and claimed again, or settled by a
receipt) and nothing was written. Outcomes that arrive together are recorded in one
transaction (:func:`record_all`).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field

from django.db import DatabaseError, router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from zns_notify import signals
from zns_notify.account import holds, quota
from zns_notify.exceptions import ZnsConfigurationError, ZnsTemplateNotFound
from zns_notify.fallback import steps as fallback
from zns_notify.journeys import billing as journey_billing
from zns_notify.journeys.attempts import journey_of
from zns_notify.journeys.attempts import not_taken as journey_not_taken
from zns_notify.lib import json_bounds, reconnect
from zns_notify.lib.phones import mask
from zns_notify.models import FallbackStep, Message, MessageEvent, ZaloAccount
from zns_notify.policy import rules as policy
from zns_notify.receipts import matching as receipt_matching
from zns_notify.sending import ambiguity
from zns_notify.sending.claim import Claim
from zns_notify.sending.outcome_sql import mark_sent
from zns_notify.sending.retry import next_attempt
from zns_notify.zalo.client import SendResult, ZaloAPIError
from zns_notify.zalo.errors import DAILY_QUOTA_EXCEEDED, RESCHEDULE_WINDOWS, ErrorAction

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What became of one claimed message: Zalo's answer, or what stopped it before."""

    message: Message
    result: (
        SendResult
        | ZaloAPIError
        | quota.Deferred
        | policy.Decision
        | ZnsTemplateNotFound
        | ZnsConfigurationError
    )
    #: The message as claimed, to record from again if a group's transaction fails.
    claimed: Message = field(init=False)
    #: Set by :func:`record_all`: the outcome was written (the row was still ours).
    owned: bool = field(default=False, init=False)
    #: Set by :func:`record_all`: its write was committed, or tried and refused for good
    #: (a retry after a lost connection leaves it alone).
    done: bool = field(default=False, init=False)

    def __post_init__(self):
        self.claimed = copy.copy(self.message)


def record_all(
    outcomes: list[Outcome], account: ZaloAccount | None, claim: Claim | None = None
) -> int:
    """Record outcomes (and take ``claim``) in one transaction; return how many were ours.
    If that transaction fails, each outcome in its own, so that one bad write never leaves
    the others "sending" (they were sent: re-sending would duplicate).

    A lost database connection (a restart, a failover) is no bad write: the worker keeps
    Zalo's answers and records them on a new connection once the database is back
    (:func:`~zns_notify.lib.reconnect.retrying`), so an accepted send never becomes an
    unknown one waiting for its lease."""
    using = router.db_for_write(Message)
    tries = []

    def record_once() -> int:
        tries.append(1)
        return _record_all(outcomes, account, claim, using, again=len(tries) > 1)

    return reconnect.retrying(
        record_once,
        using=using,
        what=f"recording {len(outcomes)} send outcomes" + (" and claiming more" if claim else ""),
    )


def _record_all(
    outcomes: list[Outcome],
    account: ZaloAccount | None,
    claim: Claim | None,
    using: str,
    *,
    again: bool,
) -> int:
    """One try of :func:`record_all`; raises a lost connection for it to try again. The
    outcomes a failed try committed (one by one) are not recorded twice."""
    todo = [outcome for outcome in outcomes if not outcome.done]
    if again:
        for outcome in todo:  # undo what the rolled-back try changed
            outcome.message = copy.copy(outcome.claimed)
            outcome.owned = False
    if not todo:
        if claim:
            claim.take()
        return sum(outcome.owned for outcome in outcomes)
    if claim:
        claim.before()
    try:
        with transaction.atomic(using=using):
            timeline: list[MessageEvent] = []  # the sends' entries, in one INSERT
            steps: list[FallbackStep] = []  # their SMS fallback windows, likewise
            for outcome in todo:
                outcome.owned = record_outcome(outcome, account, timeline=timeline, steps=steps)
            MessageEvent.objects.using(using).bulk_create(timeline)
            fallback.insert(steps, using)
            # After the sends' entries: a receipt that beat them is applied now.
            receipt_matching.apply_early_receipts_many(
                [o.message for o in todo if isinstance(o.result, SendResult)]
            )
            _update_ledger(todo, account, using)
            if claim:
                claim.inside()
            if transaction.get_rollback(using):
                # A write whose error was swallowed (bookkeeping) doomed the transaction:
                # leaving the block would roll it back in silence, the outcomes unwritten.
                raise DatabaseError("a write of the group failed; its transaction is lost")
        for outcome in todo:
            outcome.done = True
        return sum(outcome.owned for outcome in outcomes)
    except DatabaseError as exc:
        if reconnect.connection_lost(exc, using):
            raise  # not the writes' fault: all of them again, on a new connection
        logger.exception(
            "zns: recording %s outcomes together failed; recording one by one", len(todo)
        )
    for outcome in todo:
        outcome.message = copy.copy(outcome.claimed)  # undo what the rolled-back try changed
        outcome.owned = False
        try:
            outcome.owned = record_outcome(outcome, account, early_receipts=True)
        except DatabaseError as exc:
            if reconnect.connection_lost(exc, using):
                raise
            logger.exception("zns: recording the outcome of message %s failed", outcome.message.pk)
        outcome.done = True
    _update_ledger(todo, account, using)
    if claim:
        claim.take()
    return sum(outcome.owned for outcome in outcomes)


def record_outcome(
    outcome: Outcome,
    account: ZaloAccount | None,
    *,
    early_receipts: bool = False,
    timeline: list[MessageEvent] | None = None,
    steps: list[FallbackStep] | None = None,
) -> bool:
    """Record one outcome; ``early_receipts``, ``timeline``, ``steps``: see
    :func:`record_sent`. The quota ledger's echo is :func:`record_all`'s, per group."""
    message, result = outcome.message, outcome.result
    if isinstance(result, SendResult):
        return record_sent(
            message, result, early_receipts=early_receipts, timeline=timeline, steps=steps
        )
    if isinstance(result, quota.Deferred):
        return record_wait(message, result, kind=MessageEvent.Kind.NOTE)
    if isinstance(result, policy.Decision):
        return policy.record(message, result)
    if isinstance(result, ZnsTemplateNotFound):
        return record_error(message, ErrorAction.CONFIG, None, str(result))
    if isinstance(result, ZaloAPIError):
        return record_zalo_error(message, account, result)
    # No connected account: wait for an admin instead of failing the customer's message.
    return record_error(message, ErrorAction.RESCHEDULE, None, str(result))


def attempt_payload(outcome: SendResult | ZaloAPIError) -> dict | None:
    """What the timeline keeps of a send: the request (path and body; the access token is a
    header, never in it) and Zalo's answer. None when no request was made (refused before
    the call). The body's dicts are referenced, not copied: the row is written before the
    message changes again."""
    if outcome.request is None:
        return None
    path, body = outcome.request
    answer = outcome.answer
    if not json_bounds.within_bounds(answer):
        # Zalo's answer is outside data: never nested deeper than a page can show.
        answer = json_bounds.rebuild(answer)
    return {"request": {"path": path, "body": body}, "answer": answer}


def record_sent(
    message: Message,
    result: SendResult,
    *,
    early_receipts: bool = True,
    timeline: list[MessageEvent] | None = None,
    steps: list | None = None,
) -> bool:
    """Zalo accepted the claimed ``message`` as ``result.msg_id``.

    ``early_receipts=False``: the caller applies them for its whole batch
    (:func:`~zns_notify.receipts.matching.apply_early_receipts_many`). ``timeline``: a list
    the caller inserts in one statement, in the same transaction, instead of one INSERT
    per message. ``steps``: likewise for the SMS fallback's windows."""
    now = timezone.now()
    journey = journey_of(message)  # the ZNS Journey the send carried (None: a normal send)
    sent = dict(
        msg_id=result.msg_id,
        sent_at=now,
        error_code=None,
        error_category="",
        error_message="",
        next_attempt_at=None,
        journey=journey,
        journey_fallback=message.journey_fallback,
    )
    message.journey = journey  # what mark_sent writes
    with transaction.atomic(savepoint=False):  # no savepoint inside a batch's transaction
        if mark_sent(message, result.msg_id, now):  # the ORM's update, compiled once
            message.status = Message.Status.SENT
            # The SMS fallback's window starts now (for its bindings only; ``steps``: the
            # batch inserts them together).
            fallback.schedule_window(message, now, steps)
        elif _recovered_as_ambiguous(message).update(
            status=Message.Status.SENT, ambiguous_sends=F("ambiguous_sends") - 1, **sent
        ):
            # The lease ran out while this worker's thread was blocked (a refresh another
            # process held, the database coming back) and the row waits as an ambiguous
            # send: the answer settles it, and it is not sent a second time.
            message.status = Message.Status.SENT
            fallback.schedule_window(message, now, steps)
            logger.warning("zns message %s: Zalo's answer came after its lease ran out", message.pk)
        # The receipt can beat this write (it matches by tracking_id): keep its status.
        elif not _owned(message, Message.Status.DELIVERED).update(**sent):
            return False
        for name, value in sent.items():
            setattr(message, name, value)
        if journey is not None:  # the first accepted message bills its journey
            journey_billing.first_accepted(journey, now)
        event = MessageEvent(
            message=message,
            kind=MessageEvent.Kind.ATTEMPT,
            at=now,
            status=Message.Status.SENT,
            detail=_("Accepted by Zalo as %(msg_id)s.") % {"msg_id": result.msg_id},
            payload=attempt_payload(result),
        )
        if timeline is None:
            event.save()
        else:
            timeline.append(event)
        signals.announce_on_commit(signals.message_sent, message=message)
        # A receipt that matched nothing yet (it beat this write) is applied now; its
        # message_delivered is announced after message_sent.
        if early_receipts:
            receipt_matching.apply_early_receipts(message)
    logger.info("zns message %s sent to %s as %s", message.pk, mask(message.phone), result.msg_id)
    return True


def record_zalo_error(message: Message, account: ZaloAccount | None, exc: ZaloAPIError) -> bool:
    """Zalo refused the send, or could not be reached: quota and holds first, then the
    message's own outcome."""
    if account is not None and exc.code == DAILY_QUOTA_EXCEEDED:
        _ledger(quota.record_exhausted, account)
    if exc.action == ErrorAction.CONFIG and exc.code is not None and account is not None:
        # Only an administrator can fix this: pause the account (or template), not the queue.
        until = holds.hold(account, message, exc.code, str(exc))
        wait = quota.Deferred(str(exc), until=until, category=str(exc.action), code=exc.code)
        return record_wait(message, wait, payload=attempt_payload(exc))
    if ambiguity.is_ambiguous(exc):  # Zalo may have accepted it: AMBIGUOUS_SENDS decides
        return ambiguity.record_attempt(message, exc, payload=attempt_payload(exc))
    return record_error(message, exc.action, exc.code, str(exc), payload=attempt_payload(exc))


def record_wait(
    message: Message,
    wait: quota.Deferred,
    *,
    kind: str = MessageEvent.Kind.ATTEMPT,
    payload: dict | None = None,
) -> bool:
    """A message that must wait (quota, hold): queued until ``wait.until``, attempts refunded;
    one held past :data:`~zns_notify.account.holds.MAX_HOLD` fails."""
    if wait.category == ErrorAction.CONFIG and holds.held_too_long(message):
        reason = _("Held for more than %(days)s days, given up: %(reason)s") % {
            "days": holds.MAX_HOLD.days,
            "reason": wait,
        }
        return record_error(
            message, ErrorAction.CONFIG, wait.code, reason, kind=kind, payload=payload
        )
    return record_error(
        message,
        ErrorAction(wait.category),
        wait.code,
        str(wait),
        retry_at=wait.until,
        kind=kind,
        payload=payload,
    )


def record_error(
    message: Message,
    action: ErrorAction,
    code: int | None,
    reason: str,
    *,
    retry_at=None,
    kind: str = MessageEvent.Kind.ATTEMPT,
    payload: dict | None = None,
) -> bool:
    """Not sent: queued again at ``retry_at`` (else when
    :func:`~zns_notify.sending.retry.next_attempt` says), or failed; the SMS fallback may
    take over its message then."""
    policy.release(message)  # not accepted by Zalo: its recipient-cap slot is free again
    now = timezone.now()
    # Waits with a known end (a hold, the quota ledger, Zalo's windows) are not tries; the
    # others (waiting for a reconnect) keep counting, so their backoff keeps growing.
    waiting = retry_at is not None or (
        action == ErrorAction.RESCHEDULE and code in RESCHEDULE_WINDOWS
    )
    retry_at = retry_at or next_attempt(action, code, message.attempts, now)
    # A binding with the SMS fallback may give up a wait (template, quota) for the SMS.
    sms_trigger = fallback.immediate_trigger(
        message, action, code, final=retry_at is None, waits=waiting
    )
    if sms_trigger and retry_at:
        retry_at, waiting = None, False
        reason = _("%(reason)s Given up for the SMS fallback instead of waiting.") % {
            "reason": reason
        }
    status = Message.Status.QUEUED if retry_at else Message.Status.FAILED
    fields = dict(
        status=status,
        next_attempt_at=retry_at,
        error_code=code,
        error_category=str(action),
        error_message=reason[:2000],
    )
    fields.update(journey_not_taken(message))  # a journey message: unlinked, and why one by one
    with transaction.atomic(savepoint=False):
        # Give the claim's attempt back, so a message that waited for quota, a window or an
        # admin still has all its retries for transient errors.
        refund = {}
        if waiting and retry_at and message.attempts:
            refund = {"attempts": F("attempts") - 1}
        if not _owned(message, Message.Status.SENDING).update(**fields, **refund):
            return False
        for name, value in fields.items():
            setattr(message, name, value)
        if refund:
            message.attempts -= 1
        MessageEvent.objects.create(
            message=message,
            kind=kind,
            at=now,
            status=status,
            error_code=code,
            detail=reason[:2000],
            payload=payload,
        )
        if status == Message.Status.FAILED:
            signals.announce_on_commit(
                signals.message_failed,
                message=message,
                error_code=code,
                category=str(action),
                reason=reason,
            )
            if sms_trigger:  # in this transaction: a worker killed now still sends it
                fallback.schedule_now(message, sms_trigger, now)
    logger.warning(
        "zns message %s attempt %s: %s (%s)%s",
        message.pk,
        message.attempts,
        reason,
        action,
        f" — next try at {retry_at:%Y-%m-%d %H:%M:%S}" if retry_at else "",
    )
    return True


def _recovered_as_ambiguous(message: Message):
    """The message's row if this claim's attempt was taken for an ambiguous send (its lease
    ran out) and nothing has happened to it since: no new claim, no receipt."""
    return _owned(message, Message.Status.QUEUED).filter(
        error_category=ambiguity.CATEGORY, ambiguous_sends__gt=0
    )


def _owned(message: Message, *statuses: str):
    """The message's row, if it is still this claim's (same ``attempts``) in ``statuses``."""
    return Message.objects.filter(pk=message.pk, attempts=message.attempts, status__in=statuses)


def _ledger(update, *args) -> None:
    """Bookkeeping must never stop the message's outcome from being recorded (a sent
    message left "sending" would be re-queued by the sweeper and sent twice)."""
    try:
        update(*args)
    except Exception as exc:
        if reconnect.connection_lost(exc):
            raise  # the transaction it is part of is gone too: recorded again, whole
        logger.exception("zns quota ledger update failed")


def _update_ledger(outcomes: list[Outcome], account: ZaloAccount | None, using: str) -> None:
    """The quota ledger keeps the lowest remaining quota a send echoed today, so the
    group's lowest echo is all it needs: one ledger write per group, not per message.
    Bookkeeping never stops outcomes from being recorded."""
    echoes = [
        o.result
        for o in outcomes
        if isinstance(o.result, SendResult) and o.result.remaining_quota is not None
    ]
    if account is None or not echoes:
        return
    try:
        with transaction.atomic(using=using):  # a savepoint inside the group's transaction
            quota.record_send(account, min(echoes, key=lambda r: r.remaining_quota))
    except Exception as exc:
        # A lost connection took the group's transaction with it: swallowed here, the
        # group's atomic block would roll back in silence and its outcomes look recorded.
        if reconnect.connection_lost(exc, using):
            raise
        logger.exception("zns quota ledger update failed")
