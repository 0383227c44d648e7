"""Worker side, many messages at a time: claim a batch, gate each message, send them
concurrently, record every outcome.

One request at a time cannot keep up with Zalo's round trip (about 50 ms from Vietnam:
20 messages/s per worker), so a task keeps up to ``SEND_CONCURRENCY`` requests in flight
from a per-process thread pool. Only the HTTP call runs on the pool: Django's connections
are per thread, so the claim, the gate (:func:`zns_notify.sending.send.gate`), the token and
the outcome writes stay on the task's thread. The answers that arrive together are
recorded in one transaction, which also claims the next messages (on SQLite every write
transaction is a turn of the database's one write lock).

The guarantees of :func:`zns_notify.sending.send.deliver` hold message by message: the claim
increments ``attempts`` and every outcome write is fenced on it; a -124 refreshes the token
once (single-flight across processes) and the refused sends go again with the new one; an
exception in the pool becomes a retryable outcome, never a row left "sending".
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from django.db import DatabaseError, router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zns_notify.account import quota
from zns_notify.account.tokens import current_account, must_wait
from zns_notify.conf import app_settings
from zns_notify.events.relay import OLDEST_DUE_FIRST, lease_duration
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.fallback import steps as fallback
from zns_notify.lib import clock
from zns_notify.models import FallbackStep, Message, MessageEvent, ZaloAccount, ZaloQuota
from zns_notify.policy import rules as policy
from zns_notify.receipts import matching as receipt_matching
from zns_notify.sending.send import (
    _due,
    _record_error,
    _record_sent,
    _record_wait,
    _record_zalo_error,
    access_token,
    gate,
    postpone,
    refreshed_token,
    refused_twice,
    send_kwargs,
)
from zns_notify.zalo.client import SendResult, ZaloAPIError, ZaloClient
from zns_notify.zalo.errors import ErrorAction

logger = logging.getLogger(__name__)

QUEUED, SENDING = Message.Status.QUEUED, Message.Status.SENDING


# -- claiming ------------------------------------------------------------------------------


class Claim:
    """Messages to claim: the given keys that are due, then up to ``more`` other due
    messages, oldest first (a task's top-up).

    Each row is taken with a conditional UPDATE requiring it to be still queued and due,
    and ``attempts`` is incremented: the fencing token every outcome write checks, so a
    worker whose row was recovered and claimed again never overwrites the newer outcome.
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
        due = Message.objects.using(self.using).filter(_due(self.now), status=QUEUED)
        claim = dict(
            status=SENDING, attempts=F("attempts") + 1, claimed_at=self.now, relayed_at=None
        )
        pks = [pk for pk, _attempts in self.candidates]
        if self.lock and pks and due.filter(pk__in=pks).update(**claim) == len(pks):
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
                if due.filter(pk=pk, attempts=attempts).update(**claim)
            ]
        keyed = set(self._keyed)
        self.extra = sum(pk not in keyed for pk in self.owned)

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
        """Claim in a transaction of its own."""
        if not self:
            return []
        self.before()
        if self.lock or self.candidates:
            with transaction.atomic(using=self.using):
                self.inside()
        return self.messages()

    def _select(self) -> list[tuple[int, int]]:
        due = Message.objects.using(self.using).filter(_due(self.now), status=QUEUED)
        found: list[tuple[int, int]] = []
        self._keyed: list[int] = []
        if self.keys:
            found += self._rows(due.filter(idempotency_key__in=self.keys).order_by("pk"), None)
            self._keyed = [pk for pk, _attempts in found]
        if self.more:
            # Rows the outbox broker leased to a task within its lease are left to it.
            free = Q(relayed_at__isnull=True) | Q(relayed_at__lt=self.now - lease_duration())
            others = due.filter(free).exclude(idempotency_key__in=self.keys)
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


def claim_keys(keys: Iterable[str]) -> list[Message]:
    """Claim the due, queued messages among ``keys``; return those this call owns."""
    return Claim(keys).alone()


def claim_more(limit: int) -> list[Message]:
    """Claim up to ``limit`` due messages, oldest first; return those this call owns."""
    return Claim(more=limit).alone()


# -- the thread pool -----------------------------------------------------------------------

_pool_lock = threading.Lock()
_pool: tuple[int, int, ThreadPoolExecutor] | None = None


def pool(size: int) -> ThreadPoolExecutor:
    """This process's pool of ``size`` sending threads, made on first use (never at import,
    and anew in a forked worker: threads do not survive a fork)."""
    global _pool
    with _pool_lock:
        if _pool is not None and _pool[:2] == (os.getpid(), size):
            return _pool[2]
        if _pool is not None and _pool[0] == os.getpid():
            _pool[2].shutdown(wait=False)  # SEND_CONCURRENCY changed: idle threads exit
        executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="zns-send")
        _pool = (os.getpid(), size, executor)
        return executor


def _http(client: ZaloClient, token: str, kwargs: dict) -> SendResult | ZaloAPIError:
    """Runs on a pool thread: the HTTP call and nothing else (no database)."""
    try:
        return client.send_template(access_token=token, **kwargs)
    except ZaloAPIError as exc:
        return exc
    except Exception as exc:  # a bug must not leave the message "sending" until its lease ends
        logger.exception("zns send to Zalo raised unexpectedly")
        return unexpected_error(exc)


def unexpected_error(exc: BaseException) -> ZaloAPIError:
    # The request may have left: recorded as a retry, like a timeout.
    return ZaloAPIError(
        _("Sending failed unexpectedly (%(error)s); it will be tried again.")
        % {"error": type(exc).__name__},
        action=ErrorAction.RETRY,
        sent=True,
    )


# -- sending -------------------------------------------------------------------------------


@dataclass
class Outcome:
    message: Message
    result: SendResult | ZaloAPIError | quota.Deferred | policy.Decision | ZnsConfigurationError
    #: The message as claimed, to record from again if a group's transaction fails.
    claimed: Message = field(init=False)

    def __post_init__(self):
        self.claimed = copy.copy(self.message)


#: After the first of a group of sends answers, how long to wait for more of them before
#: recording: outcomes recorded together share a transaction (on SQLite, one turn of the
#: database's write lock instead of one each).
GATHER_SECONDS = 0.01


class Run:
    """The sends of one task, at most ``SEND_CONCURRENCY`` in flight: claimed messages go
    in with :meth:`start`; :meth:`gather` waits for answers; :meth:`record` writes their
    outcomes and claims the next messages in one transaction.

    Everything but the HTTP call happens on the caller's thread.
    """

    def __init__(self, client: ZaloClient):
        self.client = client
        self.concurrency = app_settings.SEND_CONCURRENCY
        #: Claim again once this many requests have answered.
        self.refill = max(self.concurrency // 2, 1)
        self.executor = pool(self.concurrency)
        self.in_flight: dict[Future, tuple[Message, str]] = {}
        self.settled = 0
        self._account: ZaloAccount | None = None
        self._token: str | None = None
        #: Tokens Zalo refused whose refresh failed, with the error their messages record.
        self._refresh_failed: dict[str, Exception] = {}
        #: Claimed messages kept back while the day's known quota is all in flight.
        self.held: list[Message] = []
        self._probed = False
        #: Set when Zalo refused a freshly refreshed token: nothing more is sent.
        self.broken: ZaloAPIError | None = None

    @property
    def room(self) -> int:
        return self.concurrency - len(self.in_flight)

    def start(self, messages: list[Message]) -> None:
        """Gate each claimed message; send those that may go, record the others."""
        if not messages:
            return
        try:
            account = self._account = self._account or current_account()
        except ZnsConfigurationError as exc:
            self.record([Outcome(m, exc) for m in messages])
            return
        ready, waiting = [], []
        known = quota.standing(account)  # once for the group, not twice per message
        for message in messages:
            try:
                gate(account, message, known)
            except (quota.Deferred, ZaloAPIError, policy.Decision) as exc:
                waiting.append(Outcome(message, exc))
            else:
                ready.append(message)
        self.record(waiting)
        if not ready:
            return
        if self.broken is not None:  # the OA must be reconnected: wait, like the others
            self.record([Outcome(m, self.broken) for m in ready])
            return
        if self._token is None:
            try:
                self._token = access_token(self.client)  # refreshed first when about to expire
            except (ZaloAPIError, ZnsConfigurationError) as exc:
                self.record([Outcome(m, exc) for m in ready])
                return
        for message in self._within_quota(account, ready):
            self._submit(message, self._token)

    def release_held(self) -> None:
        """Once the sends in flight have answered (and echoed the quota left), gate the
        messages kept back again."""
        if self.held and not self.in_flight:
            held, self.held = self.held, []
            for message in held:  # gated again below: no second recipient-cap slot
                policy.release(message)
            self.start(held)

    def _within_quota(self, account: ZaloAccount, ready: list[Message]) -> list[Message]:
        """The gate sees the quota ledger as the last answer left it, not the sends still
        in flight: when the day's remaining quota is smaller than what would be in flight
        (or not known yet today), keep the rest back until the answers are in, instead of
        a burst of -144s."""
        billed = [m for m in ready if not m.development_mode]
        if not billed:
            return ready
        row = (
            ZaloQuota.objects.filter(account=account, day=clock.local_day())
            .only("remaining_quota")
            .first()
        )
        in_flight = sum(not m.development_mode for m, _token in self.in_flight.values())
        if row is None or row.remaining_quota is None:
            # Nothing known today: one send first, its answer echoes the quota left (once
            # per task: an answer without the echo must not make every send a probe).
            if self._probed:
                return ready
            self._probed = True
            room = 0 if in_flight else 1
        else:
            room = max(row.remaining_quota - in_flight, 0)
        if room >= len(billed):
            return ready
        keep = set(m.pk for m in billed[room:])
        self.held += [m for m in ready if m.pk in keep]
        return [m for m in ready if m.pk not in keep]

    def gather(self) -> list[Outcome]:
        """Wait until a send answers, and briefly for more; return their outcomes. Sends
        whose token Zalo refused go again (see :meth:`_refused`) instead."""
        if not self.in_flight:
            return []
        done, _pending = wait(self.in_flight, return_when=FIRST_COMPLETED)
        until = time.monotonic() + GATHER_SECONDS
        while len(done) < min(self.refill, len(self.in_flight)):
            left = until - time.monotonic()
            if left <= 0:
                break
            more, _pending = wait(
                set(self.in_flight) - done, timeout=left, return_when=FIRST_COMPLETED
            )
            if not more:
                break
            done |= more
        outcomes = []
        for future in done:
            message, token = self.in_flight.pop(future)
            try:
                result = future.result()
            except BaseException as exc:  # _http catches everything; belt and braces
                result = unexpected_error(exc)
            if isinstance(result, ZaloAPIError) and result.action == ErrorAction.REFRESH:
                outcome = self._refused(message, token, result)
                if outcome is not None:
                    outcomes.append(outcome)
            else:
                outcomes.append(Outcome(message, result))
        return outcomes

    def record(self, outcomes: list[Outcome], claim: Claim | None = None) -> list[Message]:
        """Record ``outcomes`` and take ``claim`` in one transaction; return the claimed."""
        self.settled += record_all(outcomes, self._account, claim)
        return claim.messages() if claim else []

    def drain(self) -> None:
        while self.in_flight or self.held:
            self.record(self.gather())
            self.release_held()

    def _submit(self, message: Message, token: str) -> None:
        try:
            future = self.executor.submit(_http, self.client, token, send_kwargs(message))
        except RuntimeError:  # the pool is shutting down (interpreter exit): send here
            future = Future()
            future.set_result(_http(self.client, token, send_kwargs(message)))
        self.in_flight[future] = (message, token)

    def _refused(self, message: Message, token: str, exc: ZaloAPIError) -> Outcome | None:
        """Zalo rejected the access token: rotate it once for the whole run (or pick up
        another worker's rotation) and send again; refused again, the grant is broken."""
        if token in self._refresh_failed:
            return Outcome(message, self._refresh_failed[token])
        if getattr(message, "_zns_resent", False):
            # A fresh token refused too: later sends wait, unclaimed, for a reconnect.
            self.broken = self.broken or refused_twice(token, exc)
            return Outcome(message, self.broken)
        if token == self._token:
            try:
                self._token = refreshed_token(self.client, token)
            except (ZaloAPIError, ZnsConfigurationError) as error:
                self._refresh_failed[token] = error
                self._token = None  # the next messages ask for a token again
                return Outcome(message, error)
        message._zns_resent = True
        self._submit(message, self._token)
        return None


def send_batch(messages: list[Message], client: ZaloClient) -> int:
    """Gate, send and record claimed ``messages``; return how many outcomes were ours."""
    run = Run(client)
    run.start(messages)
    run.drain()
    return run.settled


def send_keys(
    keys: list[str], *, top_up: int, deadline: float, overtime: Callable[[list[str]], None]
) -> int:
    """Claim and send the due messages among ``keys`` and up to ``top_up`` others,
    keeping the pool busy: each time half of it has answered, the answers are recorded
    and as many messages claimed, in one transaction. Past ``deadline`` (monotonic) no
    more are claimed and ``overtime`` gets the keys not claimed yet; return how many
    outcomes this call recorded. After Zalo refused a fresh token, too, the keys not
    claimed yet go to ``overtime`` as well (their task will find the OA waiting for a
    reconnect and leave them unclaimed)."""
    run = Run(ZaloClient.from_settings())
    start = claims = 0
    while True:
        outcomes = run.gather()
        claim = None
        if (start < len(keys) or top_up) and (run.room >= run.refill or not run.in_flight):
            if claims and (time.monotonic() > deadline or run.broken):
                if keys[start:]:
                    overtime(keys[start:])
                start, top_up = len(keys), 0
            else:
                claims += 1
                chunk = keys[start : start + run.room]
                start += len(chunk)
                claim = Claim(chunk, min(run.room - len(chunk), top_up))
        run.start(run.record(outcomes, claim))
        run.release_held()
        if claim is not None and claim.more:
            top_up = top_up - claim.extra if claim.extra else 0  # nothing due: stop looking
        if not (run.in_flight or run.held) and start >= len(keys) and not top_up:
            return run.settled


# -- recording -------------------------------------------------------------------------------


def record_all(
    outcomes: list[Outcome], account: ZaloAccount | None, claim: Claim | None = None
) -> int:
    """Record outcomes (and take ``claim``) in one transaction; if that fails, each
    outcome in its own, so that one bad write never leaves the others "sending" (they
    were sent: re-sending would duplicate)."""
    if not outcomes:
        if claim:
            _take_alone(claim)
        return 0
    using = router.db_for_write(Message)
    if claim:
        claim.before()
    try:
        with transaction.atomic(using=using):
            timeline: list[MessageEvent] = []  # the sends' entries, in one INSERT
            steps: list[FallbackStep] = []  # their SMS fallback windows, likewise
            owned = sum(
                _record(outcome, account, timeline=timeline, steps=steps) for outcome in outcomes
            )
            MessageEvent.objects.using(using).bulk_create(timeline)
            fallback.insert(steps, using)
            # After the sends' entries: a receipt that beat them is applied now.
            receipt_matching.apply_early_receipts_many(
                [o.message for o in outcomes if isinstance(o.result, SendResult)]
            )
            _update_ledger(outcomes, account, using)
            if claim:
                claim.inside()
        return owned
    except DatabaseError:
        logger.exception(
            "zns: recording %s outcomes together failed; recording one by one", len(outcomes)
        )
    owned = 0
    for outcome in outcomes:
        outcome.message = copy.copy(outcome.claimed)  # undo what the rolled-back try changed
        try:
            owned += _record(outcome, account, early_receipts=True)
        except DatabaseError:
            logger.exception("zns: recording the outcome of message %s failed", outcome.message.pk)
    _update_ledger(outcomes, account, using)
    if claim:
        _take_alone(claim)
    return owned


def _take_alone(claim: Claim) -> None:
    claim.before()
    if claim.lock or claim.candidates:
        with transaction.atomic(using=claim.using):
            claim.inside()


def _record(
    outcome: Outcome,
    account: ZaloAccount | None,
    *,
    early_receipts: bool = False,
    timeline: list[MessageEvent] | None = None,
    steps: list[FallbackStep] | None = None,
) -> bool:
    message, result = outcome.message, outcome.result
    if isinstance(result, SendResult):
        return _record_sent(
            message, result, early_receipts=early_receipts, timeline=timeline, steps=steps
        )
    if isinstance(result, quota.Deferred):
        return _record_wait(message, result, kind=MessageEvent.Kind.NOTE)
    if isinstance(result, policy.Decision):
        return policy.record(message, result)
    if isinstance(result, ZaloAPIError):
        return _record_zalo_error(message, account, result)
    # No connected account: wait for an admin instead of failing the customer's message.
    return _record_error(message, ErrorAction.RESCHEDULE, None, str(result))


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
    except Exception:
        logger.exception("zns quota ledger update failed")


# -- a task's keys ---------------------------------------------------------------------------


def postpone_all(keys: Iterable[str]) -> bool:
    """When the OA must be reconnected, due messages wait without an attempt; True if so."""
    wait_reason = must_wait(ZaloAccount.objects.current())
    if not wait_reason:
        return False
    for key in keys:
        if postpone(key, wait_reason):
            logger.info("zns message %s waits for the OA to be reconnected", key)
    return True
