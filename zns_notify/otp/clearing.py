"""Takes a code out of its message once it can no longer be used (verified, expired,
superseded, locked): the message's parameters and the request bodies its attempts
recorded keep their names, each value replaced by :data:`CLEARED`.

Never while something may still send the message: only a message the worker is done with
(sent, or with a final outcome) and with no SMS step waiting is cleared; a queued or
deferred message would otherwise go out with a blank code. What a transition could not
clear, and the codes that simply ran out, :func:`clear_due` finishes from the sweep
(``zns_notify.tasks.sweep``, every minute). ``OtpChallenge.code_cleared_at`` says which
are done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import router, transaction
from django.db.models import Q

from zns_notify.fallback import codes as fallback_codes
from zns_notify.lib import clock
from zns_notify.models import FallbackStep, Message, MessageEvent, OtpChallenge
from zns_notify.otp import withdrawal
from zns_notify.sending.cancel import WAITING

#: What a parameter holds once its code is cleared.
CLEARED = ""
#: The worker reads a message's parameters no more in these statuses (a retry puts a
#: message back to queued first, so "sent" is safe too).
DONE = Message.FINAL_STATUSES | {Message.Status.SENT}
#: How many challenges one sweep clears at most: the rest wait for the next minute.
BATCH = 500

Status = OtpChallenge.Status


def _blank(values: object) -> object:
    if not isinstance(values, dict):
        return values
    return {name: CLEARED for name in values}


def _clear_attempts(message_id: int, using: str) -> None:
    events = MessageEvent.objects.using(using).filter(
        message_id=message_id, kind=MessageEvent.Kind.ATTEMPT
    )
    for event in events:
        payload = event.payload
        request = payload.get("request") if isinstance(payload, dict) else None
        body = request.get("body") if isinstance(request, dict) else None
        if isinstance(body, dict) and "template_data" in body:
            body["template_data"] = _blank(body["template_data"])
            MessageEvent.objects.using(using).filter(pk=event.pk).update(payload=payload)


def _clear_steps(message: Message, using: str) -> None:
    """The code out of what its SMS steps stored: the sending hides it in the text, the
    provider's answer and error (:func:`zns_notify.fallback.codes.hidden_record`); a step
    recorded otherwise (before that, or by a host's code) is hidden here."""
    steps = FallbackStep.objects.using(using).filter(message_id=message.pk)
    for step in steps.only("pk", "text", "error_message", "result"):
        values = {name: getattr(step, name) for name in ("text", "error_message", "result")}
        hidden = {name: fallback_codes.hidden_record(message, v) for name, v in values.items()}
        if hidden != values:
            FallbackStep.objects.using(using).filter(pk=step.pk).update(**hidden)


def clear(challenges: Iterable[OtpChallenge], now: dt.datetime | None = None) -> int:
    """Clear the code of each of ``challenges`` (no longer live) from its message, where
    nothing may still send it; returns how many were cleared. Call it inside the
    transaction that changed their status: the clearing commits with the change."""
    now = now or clock.now()
    using = router.db_for_write(Message)
    done = 0
    for challenge in challenges:
        if challenge.status == Status.PENDING or challenge.code_cleared_at is not None:
            continue
        if challenge.message_id is not None:
            waiting = (
                FallbackStep.objects.using(using)
                .filter(message_id=challenge.message_id)
                .exclude(status__in=FallbackStep.FINAL_STATUSES)
            )
            message = (
                Message.objects.using(using)
                .select_for_update()
                .filter(pk=challenge.message_id, status__in=DONE)
                .only("pk", "params")
                .first()
            )
            if message is None or waiting.exists():
                continue  # the sweep comes back once the worker and the SMS are done
            _clear_steps(message, using)  # while message.params still holds the code
            Message.objects.using(using).filter(pk=message.pk).update(params=_blank(message.params))
            _clear_attempts(message.pk, using)
        challenge.code_cleared_at = now
        OtpChallenge.objects.using(using).filter(pk=challenge.pk).update(code_cleared_at=now)
        done += 1
    return done


def retire(challenges: Iterable[OtpChallenge], now: dt.datetime | None = None) -> int:
    """All that is owed to ``challenges`` once they stopped being live (call it inside the
    transaction that changed their status): a message not yet handed to Zalo is cancelled
    (:mod:`zns_notify.otp.withdrawal`), then the code cleared where nothing may still send
    it. Returns how many were cleared."""
    now = now or clock.now()
    challenges = list(challenges)
    withdrawal.withdraw(challenges, now)
    return clear(challenges, now)


def clear_due(now: dt.datetime | None = None) -> int:
    """The sweep's part: codes that ran out are marked expired, the messages of codes no
    longer live still waiting for the worker are cancelled, and every such code whose
    message is now done is cleared (at most :data:`BATCH` of each). Returns how many
    were cleared."""
    now = now or clock.now()
    using = router.db_for_write(OtpChallenge)
    with transaction.atomic(using=using):
        # A pending code past its time is as dead as one a check found expired.
        OtpChallenge.objects.using(using).filter(
            status=Status.PENDING, expires_at__lte=now, code_cleared_at__isnull=True
        ).update(status=Status.EXPIRED)
        dead = (
            OtpChallenge.objects.using(using)
            .filter(code_cleared_at__isnull=True)
            .filter(~Q(status=Status.PENDING))
        )
        # Those that ran out just now, and any whose message came back to the queue after
        # the transition (a retry of a send in flight then): cancelled here, they are done
        # for the clearing below.
        unsent = dead.filter(message__status=WAITING).order_by("expires_at")
        withdrawal.withdraw(
            list(unsent.select_for_update(skip_locked=True, of=("self",))[:BATCH]), now
        )
        rows = list(
            dead
            # Not the rows whose message is still under way: however many they are, they
            # must not fill the batch and starve the others.
            .filter(Q(message__isnull=True) | Q(message__status__in=DONE))
            .order_by("expires_at")
            .select_for_update(skip_locked=True, of=("self",))[:BATCH]
        )
        return clear(rows, now)
