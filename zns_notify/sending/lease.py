"""A worker's lease on the rows it claimed, and what happens to rows whose worker died.

A claim (:mod:`~zns_notify.sending.claim`) moves a row to "sending" with ``claimed_at`` and
``unsent_attempt`` (the claim's ``attempts``). While the worker works on its rows it renews
``claimed_at`` every third of ``SEND_LEASE`` (:class:`Keeper`, run from the task's thread,
which wakes from its waits to do it), so a live worker, however slow Zalo is, never loses
its rows. Right before requests go to the HTTP pool, one UPDATE takes them off "unsent"
(:func:`on_the_wire`), fenced on ``attempts``: a row that was recovered in the meantime is
not sent.

A "sending" row whose lease ran out belongs to a dead worker (:func:`recover_expired`):

- never put on the wire (claimed, held back for quota, or claimed just before the process
  died): queued again at once, due now, without an ambiguous attempt;
- on the wire: nobody knows whether Zalo accepted it: an ambiguous send
  (:func:`zns_notify.sending.ambiguity.recover`), as before.

The sweeper runs the recovery every minute; every running send task also runs it each time
it renews its own lease, so while anything is being sent a dead worker's unsent rows move
again within about ``SEND_LEASE`` × 4/3 of its death.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable

from django.db import DatabaseError, router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zns_notify.conf import app_settings
from zns_notify.events.outbox import push_send_task
from zns_notify.events.relay import relay_active
from zns_notify.lib import clock, reconnect
from zns_notify.models import Message, MessageEvent, RecipientDailyCount
from zns_notify.policy import rules as policy
from zns_notify.sending import ambiguity

logger = logging.getLogger(__name__)

SENDING, QUEUED = Message.Status.SENDING, Message.Status.QUEUED

#: Most expired rows one recovery takes on (the sweeper's batch; the next run takes more).
RECOVER_BATCH = 1000


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=app_settings.SEND_LEASE)


def fence(messages: Iterable[Message]) -> Q:
    """These rows as their claims left them: each one's ``pk`` with its ``attempts`` (the
    fencing token), one condition per distinct attempt number (mostly just one)."""
    by_attempts: dict[int, list[int]] = defaultdict(list)
    for message in messages:
        by_attempts[message.attempts].append(message.pk)
    condition = Q(pk__in=[])
    for attempts, pks in by_attempts.items():
        condition |= Q(attempts=attempts, pk__in=pks)
    return condition


def renew(messages: list[Message], now: dt.datetime) -> int:
    """Renew the lease on the claimed ``messages`` still ours; return how many."""
    if not messages:
        return 0
    return Message.objects.filter(fence(messages), status=SENDING).update(claimed_at=now)


def on_the_wire(messages: list[Message]) -> list[Message]:
    """Right before their requests go to Zalo: mark the claimed ``messages`` sent-or-maybe
    (one UPDATE, which renews their lease too); return those still ours. A row a recovery
    queued again (its lease ran out while this worker was stalled) is left out: it must not
    be sent by this worker as well as by the next one."""
    if not messages:
        return []
    now = timezone.now()
    rows = Message.objects.filter(fence(messages), status=SENDING)
    if rows.update(unsent_attempt=None, claimed_at=now) == len(messages):
        return messages
    # Some were taken away (rare): keep exactly those this UPDATE marked.
    ours = set(rows.filter(claimed_at=now, unsent_attempt=None).values_list("pk", flat=True))
    lost = [m for m in messages if m.pk not in ours]
    for message in lost:
        # Its recovery gave back the recipient-cap slot of the claim before; the slot this
        # stalled worker's gate took since goes back too, or the resend would meet the cap.
        policy.release(message)
    logger.warning(
        "zns messages %s were recovered before they were sent; not sending", [m.pk for m in lost]
    )
    return [m for m in messages if m.pk in ours]


def recover_expired(now: dt.datetime | None = None, *, enqueue: bool = False) -> int:
    """Recover the "sending" rows whose lease ran out; return how many. ``enqueue``: push a
    send task for the rows queued again (unless the outbox broker relays due rows itself);
    the sweeper re-enqueues due rows on its own."""
    now = now or timezone.now()
    expired_before = now - lease()
    stale = list(
        Message.objects.filter(status=SENDING, claimed_at__lt=expired_before).values_list(
            "pk", "attempts", "unsent_attempt", "idempotency_key", "claimed_at", "claimed_by"
        )[:RECOVER_BATCH]
    )
    requeued: list[str] = []
    ambiguous = 0
    for pk, attempts, unsent_attempt, key, claimed_at, claimed_by in stale:
        if unsent_attempt == attempts:
            if _requeue(pk, attempts, expired_before, now, claimed_at, claimed_by):
                requeued.append(key)
        else:
            message = Message(pk=pk, attempts=attempts)
            ambiguous += ambiguity.recover(message, now, expired_before=expired_before)
    if requeued:
        logger.warning(
            "zns: %s message(s) a dead worker had claimed but not sent are queued again",
            len(requeued),
        )
        if enqueue and not relay_active(router.db_for_write(Message)):
            per_task = app_settings.SEND_BATCH
            for start in range(0, len(requeued), per_task):
                push_send_task(requeued[start : start + per_task])
    return len(requeued) + ambiguous


def _requeue(
    pk: int,
    attempts: int,
    expired_before: dt.datetime,
    now: dt.datetime,
    claimed_at: dt.datetime,
    claimed_by: str,
) -> bool:
    """Queue again, due now, a row its dead worker never sent; False if it moved meanwhile
    (renewed by a worker that was only slow, sent, settled by a receipt)."""
    detail = _("Its worker (%(worker)s) stopped before sending it; it is queued again.") % {
        "worker": claimed_by or "?"
    }
    with transaction.atomic():
        if not Message.objects.filter(
            pk=pk,
            attempts=attempts,
            status=SENDING,
            unsent_attempt=F("attempts"),
            claimed_at__lt=expired_before,
        ).update(status=QUEUED, next_attempt_at=now, relayed_at=None):
            return False
        MessageEvent.objects.create(
            message_id=pk, kind=MessageEvent.Kind.NOTE, at=now, status=QUEUED, detail=detail
        )
        _give_back_cap_slot(pk, claimed_at)
    return True


def _give_back_cap_slot(pk: int, claimed_at: dt.datetime) -> None:
    """The dead worker's gate took the message's slot under the recipient cap (on its
    lease's day) and never sent it: give it back, or the resend would be refused by the
    cap for its own unsent attempt. A message with ambiguous sends took none this time
    (its slot stays with the attempt that may have reached Zalo). A row claimed but not yet
    gated took none either: giving one back then errs by one message on the side of the
    customer getting it, rare (the gate follows the claim within milliseconds)."""
    message = Message.objects.select_related("template").get(pk=pk)
    tag = policy.message_tag(message)
    if message.ambiguous_sends or not message.phone:
        return
    if not policy.cap_for(tag, app_settings.RECIPIENT_DAILY_CAP):
        return
    RecipientDailyCount.objects.filter(
        phone=message.phone, day=clock.local_day(claimed_at), tag=tag, count__gt=0
    ).update(count=F("count") - 1)


class Keeper:
    """The lease of one task's rows: :meth:`keep` renews it every third of ``SEND_LEASE``
    (and recovers dead workers' rows); :meth:`wait` says how long the task may wait before
    that (the ``timeout`` of its waits)."""

    def __init__(self) -> None:
        self.every = dt.timedelta(seconds=app_settings.SEND_LEASE / 3)
        self.renewed = timezone.now()

    def wait(self) -> float:
        """Seconds until the next renewal is due (at least a little: no busy loop)."""
        left = (self.renewed + self.every - timezone.now()).total_seconds()
        return max(left, 0.01)

    def keep(self, messages: list[Message]) -> None:
        """Renew the lease on ``messages`` (the task's claimed rows) if it is due."""
        now = timezone.now()
        if now < self.renewed + self.every:
            return
        self.renewed = now
        try:
            renew(messages, now)
        except DatabaseError as exc:
            # Best effort: a lease that runs out only makes the rows ambiguous (sent) or
            # queued again (unsent, and then never sent by this worker: on_the_wire).
            using = router.db_for_write(Message)
            if not reconnect.connection_lost(exc, using):
                logger.exception("zns: renewing the lease of %s message(s) failed", len(messages))
                return
            # A restart or failover: one line, and a new connection for the next renewal.
            reconnect.reconnect(using)
            logger.warning(
                "zns: the lease of %s message(s) was not renewed, the database connection was "
                "lost (%s); trying again in %s s",
                len(messages),
                type(exc).__name__,
                self.every.total_seconds(),
            )
            return
        try:
            recover_expired(now, enqueue=True)
        except Exception:
            # Other workers' rows are a courtesy here (the sweeper and the brokers' polls
            # recover them too): a broker or database error must never end this task with
            # Zalo's answers unrecorded.
            logger.exception("zns: recovering dead workers' rows failed")
