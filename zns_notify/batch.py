"""Worker side, many messages at a time: claim a batch, gate each message, send them
concurrently, record every outcome.

One request at a time cannot keep up with Zalo's round trip (about 50 ms from Vietnam:
20 messages/s per worker), so a task claims up to ``SEND_CONCURRENCY`` messages in one
transaction, and sends them from a per-process thread pool. Only the HTTP call runs on the
pool: Django's connections are per thread, so the claim, the gate
(:func:`zns_notify.sending.gate`), the token, and the outcome writes stay on the task's
thread, and the outcomes that arrive together are recorded in one transaction (on SQLite
every commit is an fsync and the database's one write lock).

The guarantees of :func:`zns_notify.sending.deliver` hold message by message: the claim
increments ``attempts`` and every outcome write is fenced on it; a -124 refreshes the token
once (single-flight across processes) and the refused sends go again with the new one; an
exception in the pool becomes a retryable outcome, never a row left "sending".
"""

from __future__ import annotations

import copy
import logging
import os
import threading
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from django.db import DatabaseError, router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import quota
from .conf import app_settings
from .exceptions import ZnsConfigurationError
from .models import Message, MessageEvent, ZaloAccount
from .relay import lease_duration
from .sending import (
    _due, _ledger, _record_error, _record_sent, _record_wait, _record_zalo_error, access_token,
    gate, postpone, refused_twice, refreshed_token, send_kwargs,
)
from .tokens import current_account, must_wait
from .zalo.client import SendResult, ZaloAPIError, ZaloClient
from .zalo.errors import ErrorAction

logger = logging.getLogger(__name__)

QUEUED, SENDING = Message.Status.QUEUED, Message.Status.SENDING


# -- claiming ------------------------------------------------------------------------------

def claim_keys(keys: Iterable[str]) -> list[Message]:
    """Claim the due, queued messages among ``keys``; return those this call owns."""
    keys = list(keys)
    if not keys:
        return []
    return _claim(lambda due: due.filter(idempotency_key__in=keys).order_by("pk"))


def claim_more(limit: int) -> list[Message]:
    """Claim up to ``limit`` other due messages, oldest first (a task's top-up).

    Rows the outbox broker leased to another task within its lease are left to it; on
    PostgreSQL rows another worker is claiming right now are skipped, not waited for.
    """
    if limit <= 0:
        return []
    now = timezone.now()
    free = Q(relayed_at__isnull=True) | Q(relayed_at__lt=now - lease_duration())

    def oldest(due):
        # Fresh rows first, then retries that came due: each query is served by the
        # (status, next_attempt_at) index, as the relay's are.
        fresh = due.filter(free, next_attempt_at__isnull=True).order_by("pk")
        return fresh, due.filter(free, next_attempt_at__lte=now).order_by("pk")

    return _claim(oldest, limit=limit)


def _claim(select, *, limit: int | None = None) -> list[Message]:
    """Claim candidates with one conditional UPDATE each, in one transaction.

    Each UPDATE requires the row to be still queued, due and at the attempt number read,
    and increments ``attempts``: the fencing token every outcome write checks. A row
    another worker claimed in between is simply not ours.
    """
    using = router.db_for_write(Message)
    now = timezone.now()
    due = Message.objects.using(using).filter(_due(now), status=QUEUED)
    # PostgreSQL: lock the candidates, skipping rows another worker is claiming right now.
    # SQLite has no row locks; its candidates are read before the write transaction, as
    # upgrading a read to a write inside one fails at once when another writer came first.
    inside = transaction.get_connection(using).features.has_select_for_update_skip_locked
    candidates = [] if inside else _candidates(select(due), limit)
    if not (inside or candidates):
        return []
    with transaction.atomic(using=using):
        if inside:
            candidates = _candidates(select(due), limit, lock=True)
        owned = [
            pk for pk, attempts in candidates
            if due.filter(pk=pk, attempts=attempts).update(
                status=SENDING, attempts=F("attempts") + 1, claimed_at=now, relayed_at=None)
        ]
    if not owned:
        return []
    return list(Message.objects.using(using).select_related("template")
                .filter(pk__in=owned, status=SENDING).order_by("pk"))


def _candidates(queries, limit: int | None, *, lock: bool = False) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for query in queries if isinstance(queries, tuple) else (queries,):
        wanted = None if limit is None else limit - len(found)
        if wanted is not None and wanted <= 0:
            break
        if lock:
            query = query.select_for_update(skip_locked=True)
        rows = query.values_list("pk", "attempts")
        found += list(rows if wanted is None else rows[:wanted])
    return found


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
        action=ErrorAction.RETRY, sent=True,
    )


# -- one batch -------------------------------------------------------------------------------

@dataclass
class Outcome:
    message: Message
    result: SendResult | ZaloAPIError | quota.Deferred | ZnsConfigurationError
    #: The message as claimed, to record from again if a group's transaction fails.
    claimed: Message = field(init=False)

    def __post_init__(self):
        self.claimed = copy.copy(self.message)


def send_batch(messages: list[Message], client: ZaloClient) -> int:
    """Gate, send and record claimed ``messages``; return how many outcomes were ours."""
    if not messages:
        return 0
    settled = 0
    try:
        account = current_account()
    except ZnsConfigurationError as exc:
        return _record_all([Outcome(m, exc) for m in messages], None)
    ready, waiting = [], []
    for message in messages:
        try:
            gate(account, message)
        except (quota.Deferred, ZaloAPIError) as exc:
            waiting.append(Outcome(message, exc))
        else:
            ready.append(message)
    settled += _record_all(waiting, account)
    if not ready:
        return settled
    try:
        token = access_token(client)  # once per batch; refreshed first when about to expire
    except (ZaloAPIError, ZnsConfigurationError) as exc:
        return settled + _record_all([Outcome(m, exc) for m in ready], account)
    refused: list[Message] = []
    settled += _send_wave(ready, client, token, account, refused)
    if not refused:
        return settled
    # Zalo rejected the token: rotate it once (or pick up another worker's rotation), then
    # send the refused messages again with the new one.
    try:
        fresh = refreshed_token(client, token)
    except (ZaloAPIError, ZnsConfigurationError) as exc:
        return settled + _record_all([Outcome(m, exc) for m in refused], account)
    again: list[Message] = []
    settled += _send_wave(refused, client, fresh, account, again)
    if again:
        # Refused with a fresh token too: the grant is broken; they wait for a reconnect.
        error = refused_twice(fresh, _refusal_of(again[0]))
        settled += _record_all([Outcome(m, error) for m in again], account)
    return settled


def _refusal_of(message: Message) -> ZaloAPIError:
    return getattr(message, "_zns_refusal")


def _send_wave(messages: list[Message], client: ZaloClient, token: str,
               account: ZaloAccount, refused: list[Message]) -> int:
    """Send ``messages`` concurrently; record outcomes as they arrive, those that arrive
    together in one transaction. Messages whose token Zalo rejected go to ``refused``."""
    executor = pool(app_settings.SEND_CONCURRENCY)
    pending: dict[Future, Message] = {}
    settled = 0
    for message in messages:
        try:
            future = executor.submit(_http, client, token, send_kwargs(message))
        except RuntimeError:  # the pool is shutting down (interpreter exit): send here
            future = Future()
            future.set_result(_http(client, token, send_kwargs(message)))
        pending[future] = message
    while pending:
        done, _not_done = wait(pending, return_when=FIRST_COMPLETED)
        outcomes = []
        for future in done:
            message = pending.pop(future)
            try:
                result = future.result()
            except BaseException as exc:  # _http catches everything; belt and braces
                result = unexpected_error(exc)
            if isinstance(result, ZaloAPIError) and result.action == ErrorAction.REFRESH:
                message._zns_refusal = result
                refused.append(message)
            else:
                outcomes.append(Outcome(message, result))
        settled += _record_all(outcomes, account)
    return settled


# -- recording -------------------------------------------------------------------------------

def _record_all(outcomes: list[Outcome], account: ZaloAccount | None) -> int:
    """Record outcomes in one transaction; if it fails, each in its own, so that one bad
    write never leaves the others "sending" (they were sent: re-sending would duplicate)."""
    if not outcomes:
        return 0
    try:
        with transaction.atomic(using=router.db_for_write(Message)):
            owned = sum(_record(outcome, account) for outcome in outcomes)
            with transaction.atomic(using=router.db_for_write(Message)):
                # A savepoint: a failed ledger write must not doom the outcomes' transaction.
                _ledger_for(outcomes, account)
        return owned
    except DatabaseError:
        logger.exception("zns: recording %s outcomes together failed; recording one by one",
                         len(outcomes))
    owned = 0
    for outcome in outcomes:
        outcome.message = copy.copy(outcome.claimed)  # undo what the rolled-back try changed
        try:
            owned += _record(outcome, account)
        except DatabaseError:
            logger.exception("zns: recording the outcome of message %s failed",
                             outcome.message.pk)
    _ledger_for(outcomes, account)
    return owned


def _record(outcome: Outcome, account: ZaloAccount | None) -> bool:
    message, result = outcome.message, outcome.result
    if isinstance(result, SendResult):
        return _record_sent(message, result)
    if isinstance(result, quota.Deferred):
        return _record_wait(message, result, kind=MessageEvent.Kind.NOTE)
    if isinstance(result, ZaloAPIError):
        return _record_zalo_error(message, account, result)
    # No connected account: wait for an admin instead of failing the customer's message.
    return _record_error(message, ErrorAction.RESCHEDULE, None, str(result))


def _ledger_for(outcomes: list[Outcome], account: ZaloAccount | None) -> None:
    """The quota ledger keeps the lowest remaining quota a send echoed today, so the
    batch's lowest echo is all it needs: one ledger write per batch, not per message."""
    echoes = [o.result for o in outcomes
              if isinstance(o.result, SendResult) and o.result.remaining_quota is not None]
    if account is not None and echoes:
        _ledger(quota.record_send, account, min(echoes, key=lambda r: r.remaining_quota))


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
