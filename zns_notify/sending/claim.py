"""Taking due messages for a worker: the claim, and the wait without one while the OA must
be reconnected.

A claim moves a due message from queued to sending (a lease the worker renews, marked not
on the wire yet: :mod:`zns_notify.sending.lease`) and increments ``attempts``: the fencing
token every outcome write checks (:mod:`zns_notify.sending.record`), so a worker whose row
was recovered and claimed again never overwrites the newer worker's outcome.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Iterable

from django.db import router, transaction
from django.db.models import F, Q
from django.utils import timezone

from zns_notify.account import refusals
from zns_notify.account.tokens import must_wait
from zns_notify.events.relay import OLDEST_DUE_FIRST, lease_duration
from zns_notify.models import Message, ZaloAccount
from zns_notify.zalo.errors import ErrorAction

logger = logging.getLogger(__name__)

QUEUED, SENDING = Message.Status.QUEUED, Message.Status.SENDING

#: While the OA needs reconnecting, a due message is looked at again this much later.
RECONNECT_WAIT = dt.timedelta(minutes=5)


def worker_name() -> str:
    """This process as an operator finds it, "host:pid" (read at each claim: a worker
    forked after import has a pid of its own)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def due(now: dt.datetime) -> Q:
    """Messages whose (next) attempt is due at ``now``."""
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


class Claim:
    """Messages to claim: the given keys that are due, then up to ``more`` other due
    messages, oldest first (a task's top-up).

    Each row is taken with a conditional UPDATE requiring it to be still queued and due,
    and ``attempts`` is incremented (the fencing token).
    On PostgreSQL the candidates are locked ``FOR UPDATE SKIP LOCKED`` inside the write
    transaction (two workers topping up at once take different rows); SQLite has no row
    locks, and its candidates are read before the write transaction (upgrading a read to
    a write inside one fails at once when another writer came first), each UPDATE then
    re-checking its row's attempt number.
    """

    def __init__(self, keys: Iterable[str] = (), more: int = 0):
        self.keys = list(keys)
        self.more = max(more, 0)
        self.using = router.db_for_write(Message)
        features = transaction.get_connection(self.using).features
        self.lock = features.has_select_for_update_skip_locked
        self.now = timezone.now()
        self.candidates: list[tuple[int, int]] = []
        self.owned: list[int] = []
        self._keyed: list[int] = []
        #: How many of the owned rows came from the top-up.
        self.extra = 0

    def __bool__(self) -> bool:
        return bool(self.keys or self.more)

    def before(self) -> None:
        """Outside the write transaction."""
        self.now = timezone.now()
        if not self.lock:
            self.candidates = self._select()

    def inside(self) -> None:
        """Inside the write transaction: take the rows."""
        if self.lock:
            self.candidates = self._select()
        queued_due = Message.objects.using(self.using).filter(due(self.now), status=QUEUED)
        claim = dict(
            status=SENDING,
            attempts=F("attempts") + 1,
            claimed_at=self.now,
            relayed_at=None,
            claimed_by=worker_name(),
            # Not on the wire yet (zns_notify.sending.lease): a dead worker's row is then
            # queued again at once.
            unsent_attempt=F("attempts") + 1,
        )
        pks = [pk for pk, _attempts in self.candidates]
        if self.lock and pks and queued_due.filter(pk__in=pks).update(**claim) == len(pks):
            self.owned = pks  # locked by this transaction: all of them are ours
        elif self.lock and pks:  # cannot happen with the rows locked; be exact anyway
            self.owned = list(
                Message.objects.using(self.using)
                .filter(pk__in=pks, status=SENDING, claimed_at=self.now)
                .values_list("pk", flat=True)
            )
        else:
            self.owned = [
                pk
                for pk, attempts in self.candidates
                if queued_due.filter(pk=pk, attempts=attempts).update(**claim)
            ]
        keyed = set(self._keyed)
        self.extra = sum(pk not in keyed for pk in self.owned)

    def take(self) -> None:
        """Take the rows in a write transaction of their own."""
        self.before()
        if self.lock or self.candidates:
            with transaction.atomic(using=self.using):
                self.inside()

    def messages(self) -> list[Message]:
        """After the commit: the claimed messages, as this claim left them."""
        if not self.owned:
            return []
        return list(
            Message.objects.using(self.using)
            .select_related("template", "binding")
            .filter(pk__in=self.owned, status=SENDING)
            .order_by("pk")
        )

    def alone(self) -> list[Message]:
        """Claim in a transaction of its own; return the claimed messages."""
        if not self:
            return []
        self.take()
        return self.messages()

    def _select(self) -> list[tuple[int, int]]:
        queued_due = Message.objects.using(self.using).filter(due(self.now), status=QUEUED)
        found: list[tuple[int, int]] = []
        self._keyed: list[int] = []
        if self.keys:
            keyed = queued_due.filter(idempotency_key__in=self.keys).order_by("pk")
            found += self._rows(keyed, None)
            self._keyed = [pk for pk, _attempts in found]
        if self.more:
            # Rows the outbox broker leased to a task within its lease are left to it.
            free = Q(relayed_at__isnull=True) | Q(relayed_at__lt=self.now - lease_duration())
            others = queued_due.filter(free).exclude(idempotency_key__in=self.keys)
            # Fresh rows, then retries that came due, each read in index order as the
            # relay reads them.
            fresh = others.filter(next_attempt_at__isnull=True)
            retries = others.filter(next_attempt_at__lte=self.now)
            for query in (fresh.order_by(*OLDEST_DUE_FIRST), retries.order_by(*OLDEST_DUE_FIRST)):
                wanted = self.more - (len(found) - len(self._keyed))
                if wanted <= 0:
                    break
                found += self._rows(query, wanted)
        return found

    def _rows(self, query, limit: int | None) -> list[tuple[int, int]]:
        if self.lock:
            query = query.select_for_update(skip_locked=True)
        rows = query.values_list("pk", "attempts")
        return list(rows if limit is None else rows[:limit])


def claimed_row(now: dt.datetime) -> dict:
    """The columns of a message written already claimed by this process, and marked on
    the wire: its writer sends it right after the commit, with no write between the
    commit and the request (a one-time code, :mod:`zns_notify.otp.lane`). The lease
    covers it as any claim: if the process dies first, the row is recovered as a send
    whose outcome is unknown, and sent again (:mod:`zns_notify.sending.ambiguity`)."""
    return {
        "status": SENDING,
        "attempts": 1,
        "claimed_at": now,
        "claimed_by": worker_name(),
        "unsent_attempt": None,
    }


def claim_keys(keys: Iterable[str]) -> list[Message]:
    """Claim the due, queued messages among ``keys``; return those this call owns."""
    return Claim(keys).alone()


def claim_more(limit: int) -> list[Message]:
    """Claim up to ``limit`` due messages, oldest first; return those this call owns."""
    return Claim(more=limit).alone()


def claim(key: str) -> Message | None:
    """Claim the message with this key if it is due and queued; None if someone else has
    it (or it is not due)."""
    claimed = claim_keys([key])
    return claimed[0] if claimed else None


def postpone(key: str, reason: str) -> bool:
    """Push a due queued message back without claiming it: no attempt is used up."""
    now = timezone.now()
    return bool(
        Message.objects.filter(due(now), idempotency_key=key, status=QUEUED).update(
            next_attempt_at=now + RECONNECT_WAIT,
            error_code=None,
            relayed_at=None,
            error_category=str(ErrorAction.RESCHEDULE),
            error_message=reason[:2000],
        )
    )


def postpone_all(keys: Iterable[str]) -> bool:
    """When the OA must be reconnected, due messages wait without an attempt; True if so.
    If it waits only because Zalo refused new tokens, try one more first (at most once a
    minute across workers): taken, the messages go now."""
    wait_reason = must_wait(ZaloAccount.objects.current())
    if wait_reason and refusals.recover():
        wait_reason = must_wait(ZaloAccount.objects.current())
    if not wait_reason:
        return False
    for key in keys:
        if postpone(key, wait_reason):
            logger.info("zns message %s waits for the OA to be reconnected", key)
    return True
