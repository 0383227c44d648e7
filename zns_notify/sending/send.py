"""Worker side: claim one queued message, send it to Zalo, record the outcome.

Never raises for provider errors: the database decides what is sent and when it is
retried; the queue only carries keys (see design.md §2).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zns_notify import signals
from zns_notify.account import holds, quota
from zns_notify.account.tokens import (
    current_account,
    expire_access_token,
    get_access_token,
    must_wait,
    refresh_access_token,
    require_reconnect,
)
from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError, ZnsReconnectRequired
from zns_notify.fallback import steps as fallback
from zns_notify.lib.phones import mask
from zns_notify.models import Message, MessageEvent, ZaloAccount
from zns_notify.policy import rules as policy
from zns_notify.receipts import matching as receipt_matching
from zns_notify.sending import ambiguity
from zns_notify.sending.outcome_sql import mark_sent
from zns_notify.sending.retry import next_attempt
from zns_notify.zalo.client import SendResult, ZaloAPIError, ZaloClient, ZaloGrantRejected
from zns_notify.zalo.errors import DAILY_QUOTA_EXCEEDED, RESCHEDULE_WINDOWS, ErrorAction

logger = logging.getLogger(__name__)


def claim(key: str) -> Message | None:
    """Atomically move a due message from queued to sending; None if someone else has it.

    The claim increments ``attempts``; the worker's final write requires the same value
    (a fencing token), so a worker whose row was recovered and claimed again by another
    worker can never overwrite that worker's outcome.
    """
    now = timezone.now()
    claimed = Message.objects.filter(
        _due(now), idempotency_key=key, status=Message.Status.QUEUED
    ).update(
        status=Message.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now, relayed_at=None
    )
    if not claimed:
        return None
    return Message.objects.select_related("template", "binding").get(idempotency_key=key)


#: While the OA needs reconnecting, a due message is looked at again this much later.
RECONNECT_WAIT = dt.timedelta(minutes=5)


def _due(now) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def postpone(key: str, reason: str) -> bool:
    """Push a due queued message back without claiming it: no attempt is used up."""
    now = timezone.now()
    return bool(
        Message.objects.filter(_due(now), idempotency_key=key, status=Message.Status.QUEUED).update(
            next_attempt_at=now + RECONNECT_WAIT,
            error_code=None,
            relayed_at=None,
            error_category=str(ErrorAction.RESCHEDULE),
            error_message=reason[:2000],
        )
    )


def deliver(key: str, client: ZaloClient | None = None) -> Message | None:
    """Send the message with this key if it is due; return it, or None if it was not ours.

    One message at a time; the worker's tasks send in batches (:mod:`zns_notify.sending.batch`),
    through the same gate and the same outcome writes."""
    wait = must_wait(ZaloAccount.objects.current())
    if wait:
        # The OA must be reconnected: the message waits, visibly, without an attempt.
        if postpone(key, wait):
            logger.info("zns message %s waits for the OA to be reconnected", key)
        return None
    message = claim(key)
    if message is None:
        return None
    client = client or ZaloClient.from_settings()
    account = None
    try:
        account = current_account()
        gate(account, message)  # a hold, no quota left, the shop's policy: no call
        result = _send(message, client, account)
    except policy.Decision as exc:
        owned = policy.record(message, exc)
    except quota.Deferred as exc:
        owned = _record_wait(message, exc, kind=MessageEvent.Kind.NOTE)
    except ZaloAPIError as exc:
        owned = _record_zalo_error(message, account, exc)
    except ZnsConfigurationError as exc:
        # No connected account: wait for an admin instead of failing the customer's message.
        owned = _record_error(message, ErrorAction.RESCHEDULE, None, str(exc))
    else:
        _ledger(quota.record_send, account, result)
        owned = _record_sent(message, result)
    return message if owned else None


def gate(account: ZaloAccount, message: Message, known: quota.Standing | None = None) -> None:
    """The per-message gate, run on the task's thread right before the HTTP call.

    Raises :class:`~zns_notify.account.quota.Deferred` when the message must wait (a hold, no
    quota left today, its template not enabled), :class:`ZaloAPIError` when it cannot
    be sent at all and :class:`~zns_notify.policy.rules.Decision` when the shop's policy defers,
    skips or cancels it; returns when it may go. Both :func:`deliver` and the batch flow call
    it, once per message, so every rule added here applies to every send.
    """
    known = known or quota.standing(account)  # read once for the quota gate and the policy
    quota.check(account, message, known=known)
    template = message.template
    if template is None:
        raise ZaloAPIError(
            _("Template %(id)s is not enabled on Zalo.") % {"id": message.zalo_template_id},
            action=ErrorAction.CONFIG,
            sent=False,
        )
    if not template.is_sendable:
        # Its messages wait (the template may be approved or re-enabled) instead of failing.
        reason = _("Template %(id)s is not enabled on Zalo.") % {"id": message.zalo_template_id}
        until = holds.hold(account, message, None, reason)
        raise quota.Deferred(reason, until=until, category=str(ErrorAction.CONFIG))
    # Last: the shop's rules (policy.md) may reserve the recipient's cap slot, which every
    # outcome but Zalo's acceptance gives back.
    policy.check(message, account, known=known)


def send_kwargs(message: Message) -> dict:
    """What :meth:`ZaloClient.send_template` needs besides the access token."""
    return dict(
        phone=message.phone,
        template_id=message.zalo_template_id,
        data=message.params,
        tracking_id=message.idempotency_key,
        development=message.development_mode,
        hashed=app_settings.HASH_PHONE,
    )


def access_token(client: ZaloClient) -> str:
    """A valid access token for sending (refreshed first when it is about to expire); a
    failed refresh becomes the error the waiting messages record."""
    try:
        return get_access_token(client)
    except ZnsReconnectRequired:
        raise
    except ZaloAPIError as exc:
        raise _refresh_failure(exc) from exc


def refused_twice(token: str, exc: ZaloAPIError) -> ZaloAPIError:
    """A fresh token refused too: refreshing again cannot help (the OA's grant to the app
    is broken); later sends wait, unclaimed, for an admin to reconnect it."""
    require_reconnect(token, str(exc))
    error = ZaloAPIError(
        _("Zalo refuses even a freshly refreshed access token (%(error)s); reconnect the OA.")
        % {"error": exc},
        code=exc.code,
        action=ErrorAction.RESCHEDULE,
        sent=False,
        answer=exc.answer,
    )
    error.request = exc.request  # the send it answered, for the timeline
    return error


def _send(message: Message, client: ZaloClient, account: ZaloAccount) -> SendResult:
    token = access_token(client)
    kwargs = send_kwargs(message)
    try:
        return client.send_template(access_token=token, **kwargs)
    except ZaloAPIError as exc:
        if exc.action != ErrorAction.REFRESH:
            raise
    # Zalo rejected the token: rotate it once (or pick up another worker's rotation).
    token = refreshed_token(client, token)
    try:
        return client.send_template(access_token=token, **kwargs)
    except ZaloAPIError as exc:
        if exc.action != ErrorAction.REFRESH:
            raise
        raise refused_twice(token, exc) from exc


def attempt_payload(outcome: SendResult | ZaloAPIError) -> dict | None:
    """What the timeline keeps of a send: the request (path and body; the access token is a
    header, never in it) and Zalo's answer. None when no request was made (refused before
    the call). The body's dicts are referenced, not copied: the row is written before the
    message changes again."""
    if outcome.request is None:
        return None
    path, body = outcome.request
    return {"request": {"path": path, "body": body}, "answer": outcome.answer}


def _ledger(update, *args) -> None:
    """Bookkeeping must never stop the message's outcome from being recorded (a sent
    message left "sending" would be re-queued by the sweeper and sent twice)."""
    try:
        update(*args)
    except Exception:
        logger.exception("zns quota ledger update failed")


def _record_zalo_error(message: Message, account: ZaloAccount | None, exc: ZaloAPIError) -> bool:
    """Quota and holds first, then the message's own outcome."""
    if account is not None and exc.code == DAILY_QUOTA_EXCEEDED:
        _ledger(quota.record_exhausted, account)
    if exc.action == ErrorAction.CONFIG and exc.code is not None and account is not None:
        # Only an administrator can fix this: pause the account (or template), not the queue.
        until = holds.hold(account, message, exc.code, str(exc))
        wait = quota.Deferred(str(exc), until=until, category=str(exc.action), code=exc.code)
        return _record_wait(message, wait, payload=attempt_payload(exc))
    if ambiguity.is_ambiguous(exc):  # Zalo may have accepted it: AMBIGUOUS_SENDS decides
        return ambiguity.record_attempt(message, exc, payload=attempt_payload(exc))
    return _record_error(message, exc.action, exc.code, str(exc), payload=attempt_payload(exc))


def refreshed_token(client: ZaloClient, stale: str) -> str:
    try:
        return refresh_access_token(client, stale_token=stale)
    except ZnsReconnectRequired:
        # Zalo rejects this token and it cannot be refreshed: later sends wait unclaimed.
        expire_access_token(stale)
        raise
    except ZaloAPIError as exc:
        if isinstance(exc, ZaloGrantRejected):
            expire_access_token(stale)
        raise _refresh_failure(exc) from exc


def _refresh_failure(exc: ZaloAPIError) -> ZaloAPIError:
    """What a failed refresh means for the message being sent. Zalo unreachable, or another
    process still refreshing: back off. The grant gone (expired, revoked or burned): wait
    for a reconnect, never an account hold, which would outlive the reconnect."""
    if exc.action == ErrorAction.RETRY:
        # The refresh may have reached Zalo, the message did not: never an ambiguous send.
        return ZaloAPIError(str(exc), code=exc.code, action=exc.action, sent=False)
    if not isinstance(exc, ZaloGrantRejected) and exc.action == ErrorAction.CONFIG:
        return exc  # the app's own credentials (APP_ID/APP_SECRET): an admin must fix them
    return ZaloAPIError(
        _("Zalo refused to refresh the access token (%(error)s); reconnect the OA.")
        % {"error": exc},
        code=exc.code,
        action=ErrorAction.RESCHEDULE,
        sent=False,
    )


def _owned(message: Message, *statuses: str):
    return Message.objects.filter(pk=message.pk, attempts=message.attempts, status__in=statuses)


def _record_sent(
    message: Message,
    result: SendResult,
    *,
    early_receipts: bool = True,
    timeline: list[MessageEvent] | None = None,
    steps: list | None = None,
) -> bool:
    """``early_receipts=False``: the caller applies them for its whole batch
    (:func:`~zns_notify.receipts.events.apply_early_receipts_many`). ``timeline``: a list
    the caller inserts in one statement, in the same transaction, instead of one INSERT
    per message."""
    now = timezone.now()
    sent = dict(
        msg_id=result.msg_id,
        sent_at=now,
        error_code=None,
        error_category="",
        error_message="",
        next_attempt_at=None,
    )
    with transaction.atomic(savepoint=False):  # no savepoint inside a batch's transaction
        if mark_sent(message, result.msg_id, now):  # the ORM's update, compiled once
            message.status = Message.Status.SENT
            # The SMS fallback's window starts now (for its bindings only; ``steps``: the
            # batch inserts them together).
            fallback.schedule_window(message, now, steps)
        # The receipt can beat this write (it matches by tracking_id): keep its status.
        elif not _owned(message, Message.Status.DELIVERED).update(**sent):
            return False
        for name, value in sent.items():
            setattr(message, name, value)
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


def _record_wait(
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
        return _record_error(
            message, ErrorAction.CONFIG, wait.code, reason, kind=kind, payload=payload
        )
    return _record_error(
        message,
        ErrorAction(wait.category),
        wait.code,
        str(wait),
        retry_at=wait.until,
        kind=kind,
        payload=payload,
    )


def _record_error(
    message: Message,
    action: ErrorAction,
    code: int | None,
    reason: str,
    *,
    retry_at=None,
    kind: str = MessageEvent.Kind.ATTEMPT,
    payload: dict | None = None,
) -> bool:
    policy.release(message)  # not accepted by Zalo: its recipient-cap slot is free again
    now = timezone.now()
    # Waits with a known end (a hold, the quota ledger, Zalo's windows) are not tries; the
    # others (waiting for a reconnect) keep counting, so their backoff keeps growing.
    waiting = retry_at is not None or (
        action == ErrorAction.RESCHEDULE and code in RESCHEDULE_WINDOWS
    )
    retry_at = retry_at or next_attempt(action, code, message.attempts, now)
    # A binding with the SMS fallback may give up a wait (template, quota) for the SMS.
    sms_trigger = fallback.immediate_trigger(message, action, code, final=retry_at is None)
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
