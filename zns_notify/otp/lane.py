"""The priority lane of one-time codes: a code never waits behind the order messages
queued before it (docs/otp.md "How fast the code goes out").

Two parts, both running the same code as every other send:

- :func:`send_now`: right after the request's transaction commits, the requesting process
  itself runs the worker's loop for the code's message (claim, gate, send, record:
  :func:`zns_notify.sending.send.deliver`). A queue of ten thousand order messages is not
  in its way. The message's ordinary queue entry stays: if this process
  dies or the database blinks, a worker sends the code as it would any message (the claim
  makes sure only one of them does).
- :func:`priority_tasks`: the brokers' poll (``zns_notify.broker.OutboxORM`` and
  ``.Redis``) hands out, ahead of everything queued, the code messages that are due again
  (a retry, a send the request could not make) and the code SMS steps that came due (at
  once when Zalo cannot deliver, or no receipt within ``OTP_SMS_AFTER``), instead of
  leaving them to the end of the queue or to the sweeper's minute.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.db.models import Q
from django.utils import timezone

from zns_notify.events import relay
from zns_notify.events.outbox_sql import TASK_SEND, task_package
from zns_notify.fallback.steps import TASK_SEND as TASK_SEND_SMS
from zns_notify.models import FallbackStep, OtpChallenge
from zns_notify.sending.send import deliver

logger = logging.getLogger(__name__)

#: The most SMS steps one poll hands out (each is one SMS, sent in one task).
STEPS_PER_POLL = 50


def send_now(key: str) -> None:
    """Send the code's message ``key`` from this process. Run after the commit; never
    raises (the queue is the safety net), so the caller's answer does not depend on
    Zalo's.

    Only the ZNS send: an SMS that Zalo's answer calls for is left to the workers, whom
    the brokers' poll hands it first. Sent from here, it would make the request take an
    SMS longer exactly when the phone is not on Zalo, and the answer's time would tell."""
    try:
        deliver(key)
    except Exception:
        # The message stays queued: a worker or the sweeper sends it.
        logger.exception("zns one-time code %s: sending from the request failed", key)


def _live_code_messages(now: dt.datetime, using: str):
    """The message ids of the codes that still work: the few requested within
    ``OTP_TTL`` (the partial unique index on pending codes holds just those)."""
    return (
        OtpChallenge.objects.using(using)
        .filter(status=OtpChallenge.Status.PENDING, expires_at__gt=now, message__isnull=False)
        .values("message_id")
    )


class Lane:
    """One broker's view of the lane: what it handed out lately, so that a step waiting
    in the workers' queue is not handed out again on every poll. Another cluster may hand
    the same step out once more; the step's claim sends it once."""

    def __init__(self) -> None:
        self._handed_out: dict[str, dt.datetime] = {}

    def priority_tasks(self, using: str) -> list[tuple[str, str]]:
        """``(ack id, signed task)`` pairs for the workers, to go ahead of the queue."""
        now = timezone.now()
        tasks = []
        live = _live_code_messages(now, using)
        keys = relay.claim_due_keys(using=using, among=Q(pk__in=live))
        if keys:
            tasks.append(_task(TASK_SEND, keys, f"zns-otp:{keys[0]}"))
        for reference in self._due_steps(now, using, live):
            tasks.append(_task(TASK_SEND_SMS, [reference], f"zns-otp-sms:{reference}"))
        return tasks

    def _due_steps(self, now: dt.datetime, using: str, live) -> list[str]:
        lease = relay.lease_duration()
        self._handed_out = {ref: at for ref, at in self._handed_out.items() if at > now - lease}
        due = (
            FallbackStep.objects.using(using)
            .filter(
                status=FallbackStep.Status.SCHEDULED,
                due_at__lte=now,
                message_id__in=live,
            )
            .exclude(reference__in=list(self._handed_out))
            .order_by("due_at")
            .values_list("reference", flat=True)[:STEPS_PER_POLL]
        )
        references = list(due)
        for reference in references:
            self._handed_out[reference] = now
        return references


def _task(func: str, args: list[str], name: str) -> tuple[str, str]:
    # An ack id the outbox broker recognises as one of its own (nothing to delete).
    return f"{relay.RELAYED}{uuid.uuid4().hex}", task_package(func, (args,), name=name)
