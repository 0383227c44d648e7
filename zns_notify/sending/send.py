"""The worker's loop, the one path from a claimed message to Zalo's answer: claim a batch
(:mod:`~zns_notify.sending.claim`), gate each message (:mod:`~zns_notify.sending.gate`),
send them concurrently, record every outcome (:mod:`~zns_notify.sending.record`).

Never raises for provider errors: the database decides what is sent and when it is
retried; the queue only carries keys (see design.md §2).

One request at a time cannot keep up with Zalo's round trip (about 50 ms from Vietnam:
20 messages/s per worker), so a task keeps up to ``SEND_CONCURRENCY`` requests in flight
from a per-process thread pool. Only the HTTP call runs on the pool: Django's connections
are per thread, so the claim, the gate, the token and the outcome writes stay on the
task's thread. The answers that arrive together are recorded in one transaction, which
also claims the next messages (on SQLite every write transaction is a turn of the
database's one write lock).

Message by message: the claim increments ``attempts`` and every outcome write is fenced
on it; a -124 refreshes the token (single-flight across processes) and the refused sends
go again with the new one: a token Zalo took before has expired, however soon, and is
refreshed as often as that happens; brand-new tokens refused on first use several times in a
row stop the run (:mod:`zns_notify.account.refusals`); an exception in the pool becomes a
retryable outcome, never a row left "sending". A message bound to a ZNS Journey carries
its order's journey token, attached on the task's thread before it goes to the pool
(:mod:`zns_notify.journeys.attempts`); Zalo's refusal of that token sends it again at once,
under a new token or as a normal send, never a failure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

from django.db import DatabaseError, router
from django.utils import timezone

from zns_notify.account.refusals import token_accepted, token_refused
from zns_notify.account.tokens import FRESH_TOKEN_REFUSALS, current_account
from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.journeys.attempts import JourneySends, journey_token
from zns_notify.lib import reconnect
from zns_notify.models import Message, ZaloAccount
from zns_notify.policy import rules as policy
from zns_notify.sending.access import (
    access_token,
    fresh_tokens_refused,
    refreshed_token,
    refused_again,
)
from zns_notify.sending.claim import Claim, claim_keys, postpone_all, worker_name
from zns_notify.sending.gate import gate_all, quota_room
from zns_notify.sending.lease import Keeper, on_the_wire, renew
from zns_notify.sending.pool import http_send, lost_before_send, pool, unexpected_error
from zns_notify.sending.record import Outcome, record_all
from zns_notify.zalo.client import SendResult, ZaloAPIError, ZaloClient
from zns_notify.zalo.errors import ErrorAction

logger = logging.getLogger(__name__)


def deliver(key: str, client: ZaloClient | None = None) -> Message | None:
    """Send the message with this key if it is due; return it, or None if it was not ours.

    The worker's loop run for one key (one-off sends and tests): the same claim, gate,
    send and outcome writes as :func:`send_keys`."""
    if postpone_all([key]):  # the OA must be reconnected: it waits, without an attempt
        return None
    claimed = claim_keys([key])
    if not claimed:
        return None
    run = Run(client or ZaloClient.from_settings(), keep=True)
    run.start(claimed)
    run.drain()
    return run.kept[0] if run.kept else None


def send_claimed(keys: list[str]) -> list[Message]:
    """Send the messages ``keys`` this process wrote already claimed and marked on the
    wire (:func:`zns_notify.sending.claim.claimed_row`): the gate, the request and the
    outcome, with no write before the request goes (a one-time code, sent by the request
    that asked for it: :mod:`zns_notify.otp.lane`). Return them as recorded."""
    messages = list(
        Message.objects.select_related("template", "binding").filter(
            idempotency_key__in=keys, status=Message.Status.SENDING, claimed_by=worker_name()
        )
    )
    if not messages:
        return []
    run = Run(ZaloClient.from_settings(), keep=True)
    run.start(messages, marked=True)
    run.drain()
    return run.kept or []


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


def send_kwargs(message: Message) -> dict:
    """What :meth:`ZaloClient.send_template` needs besides the access token."""
    return dict(
        phone=message.phone,
        template_id=message.zalo_template_id,
        data=message.params,
        tracking_id=message.idempotency_key,
        development=message.development_mode,
        hashed=app_settings.HASH_PHONE,
        journey_token=journey_token(message),  # zns_notify.journeys.attempts attached it
    )


def _refused_token(result: SendResult | ZaloAPIError) -> bool:
    return isinstance(result, ZaloAPIError) and result.action == ErrorAction.REFRESH


# -- the run -------------------------------------------------------------------------------

#: How often one message may meet a refused token in one run, each time with a newer one,
#: before it goes again later instead (tokens that expire faster than a send cannot loop).
MAX_TOKEN_RESENDS = FRESH_TOKEN_REFUSALS + 2

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

    def __init__(self, client: ZaloClient, *, keep: bool = False):
        self.client = client
        self.concurrency = app_settings.SEND_CONCURRENCY
        #: Claim again once this many requests have answered.
        self.refill = max(self.concurrency // 2, 1)
        self.executor = pool(self.concurrency)
        self.in_flight: dict[Future, tuple[Message, str]] = {}
        self.settled = 0
        #: With ``keep``: the messages whose outcome this run recorded, as recorded.
        self.kept: list[Message] | None = [] if keep else None
        self._account: ZaloAccount | None = None
        self._token: str | None = None
        #: Tokens Zalo refused whose refresh failed, with the error their messages record.
        self._refresh_failed: dict[str, Exception] = {}
        #: Claimed messages kept back while the day's known quota is all in flight.
        self.held: list[Message] = []
        self._probed = False
        #: Tokens Zalo took in this run (the account row was told once each).
        self._accepted: set[str] = set()
        #: Tokens Zalo refused in this run (the account row was told once each).
        self._refused_tokens: set[str] = set()
        #: Set when Zalo refused too many new tokens in a row: nothing more is sent.
        self.broken: ZaloAPIError | None = None
        #: The lease on this run's claimed rows, renewed while they are sent or held.
        self.keeper = Keeper()
        #: Claimed rows whose journey is being found or started (its lease renewed too).
        self._attaching: list[Message] = []
        #: The ZNS Journey each send carries, and Zalo's refusals of journey tokens.
        self.journeys = JourneySends(client, tick=self.keep)

    @property
    def room(self) -> int:
        return self.concurrency - len(self.in_flight)

    def start(self, messages: list[Message], *, marked: bool = False) -> None:
        """Gate each claimed message; send those that may go, record the others.
        ``marked``: their claim marked them on the wire already (:func:`send_claimed`)."""
        if not messages:
            return
        using = router.db_for_write(Message)
        try:
            ready, stopped = self._gate(messages)
            if ready and self._token:  # before the wire mark: dying in get-token sent none
                # Every claimed row of this start, the stopped ones too (recorded after):
                # their lease is renewed while Zalo is asked, none is taken for a dead worker's.
                self._attaching = messages
                try:
                    self._token = self.journeys.attach(ready, self._token)
                finally:
                    self._attaching = []
            # Linked to their journeys, then on the wire (one UPDATE; a recovered row is not
            # sent): a link that fails leaves no row marked as sent that never went.
            ready = self.journeys.linked(ready)
            ready = ready if marked else on_the_wire(ready)
        except DatabaseError as exc:
            if not reconnect.connection_lost(exc, using):
                raise
            # The database went away before they were sent: they wait a little, not sent,
            # instead of the task failing with the answers in flight unrecorded.
            reconnect.reconnect(using)
            self.held = [m for m in self.held if m not in messages]
            ready, stopped = [], [(m, lost_before_send(exc)) for m in messages]
        self.record([Outcome(message, reason) for message, reason in stopped])
        for message in ready:
            self._submit(message, self._token)

    def _gate(self, messages: list[Message]) -> tuple[list[Message], list[tuple[Message, Any]]]:
        """What :meth:`start` reads before a send: return the messages to send now (the
        others kept back in :attr:`held`) and the stopped ones with why."""
        try:
            account = self._account = self._account or current_account()
        except ZnsConfigurationError as exc:
            return [], [(m, exc) for m in messages]
        ready, stopped = gate_all(account, messages)
        if not ready:
            return [], stopped
        if self.broken is not None:  # the OA must be reconnected: wait, like the others
            return [], stopped + [(m, self.broken) for m in ready]
        if self._token is None:
            try:
                self._token = access_token(self.client)  # refreshed first when about to expire
            except (ZaloAPIError, ZnsConfigurationError) as exc:
                return [], stopped + [(m, exc) for m in ready]
        return self._within_quota(account, ready), stopped

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
        in_flight = sum(not m.development_mode for m, _token in self.in_flight.values())
        room = quota_room(account, in_flight)
        if room is None:
            # Nothing known today: one send first, its answer echoes the quota left (once
            # per task: an answer without the echo must not make every send a probe).
            if self._probed:
                return ready
            self._probed = True
            room = 0 if in_flight else 1
        if room >= len(billed):
            return ready
        keep = set(m.pk for m in billed[room:])
        self.held += [m for m in ready if m.pk in keep]
        return [m for m in ready if m.pk not in keep]

    def gather(self) -> list[Outcome]:
        """Wait until a send answers, and briefly for more; return their outcomes. Sends
        whose token Zalo refused go again (see :meth:`_refused`) instead, and so do sends
        whose journey token Zalo refused (:mod:`zns_notify.journeys.refusals`)."""
        self.keep()
        if not self.in_flight:
            return []
        while True:  # wakes to renew the lease while Zalo is slow to answer
            done, _pending = wait(
                self.in_flight, timeout=self.keeper.wait(), return_when=FIRST_COMPLETED
            )
            self.keep()
            if done:
                break
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
        answered = []
        for future in done:
            message, token = self.in_flight.pop(future)
            try:
                result = future.result()
            except BaseException as exc:  # http_send catches everything; belt and braces
                result = unexpected_error(exc)
            answered.append((message, token, result))
        # Tokens Zalo took first: a refusal answered together with an acceptance of the same
        # token is an expiry, not a new token refused.
        answered.sort(key=lambda item: _refused_token(item[2]))
        outcomes, journey_refused = [], []
        for message, token, result in answered:
            if _refused_token(result):
                outcome = self._refused(message, token, result)
                if outcome is not None:
                    outcomes.append(outcome)
            elif self.journeys.is_refusal(message, result):
                journey_refused.append((message, token, result))  # after the others
            else:
                if not isinstance(result, ZaloAPIError) or result.code is not None:
                    self._took(token)  # Zalo answered past the token check
                outcomes.append(Outcome(message, result))
        for message, token, result in journey_refused:
            outcome = self._journey_refused(message, token, result)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def _journey_refused(
        self, message: Message, token: str, result: ZaloAPIError
    ) -> Outcome | None:
        """Zalo refused the journey token ``message``'s send carried: send it again at once,
        under a new token or as a normal send, if its row is still ours. The database
        work this takes (ending the journey, starting another) never loses the answers
        gathered with it: a lost connection makes the message wait, unsent, as in
        :meth:`start`; any other error sends it as a normal send."""
        using = router.db_for_write(Message)
        self._attaching = [message]  # its lease is renewed while a new token is asked for
        try:
            self._took(token)  # Zalo refused the journey token, past the access token
            if not renew([message], timezone.now()):
                logger.warning("zns message %s was recovered meanwhile; not sent again", message.pk)
                return None
            again = self.journeys.refused(message, result, self._token or token) or token
        except DatabaseError as exc:
            if not reconnect.connection_lost(exc, using):
                logger.exception("zns message %s: its journey failed", message.pk)
                return self._resend_normally(message, token)
            reconnect.reconnect(using)
            return Outcome(message, lost_before_send(exc))
        except Exception:
            logger.exception("zns message %s: its journey failed", message.pk)
            return self._resend_normally(message, token)
        finally:
            self._attaching = []
        if again != (self._token or token):
            self._token = again  # get-token met a -124 and refreshed the access token
        self._submit(message, again)
        return None

    def _resend_normally(self, message: Message, token: str) -> None:
        self.journeys.give_up(message)
        self._submit(message, self._token or token)

    def _took(self, token: str) -> None:
        """Zalo took ``token``: tell the account row once per run (other workers then read
        a later -124 for it as an expiry), unless the row already says so."""
        if token in self._accepted:
            return
        self._accepted.add(token)
        known = self._account
        if known is not None and known.access_token == token and known.token_state == "accepted":
            return
        token_accepted(token)

    def record(self, outcomes: list[Outcome], claim: Claim | None = None) -> list[Message]:
        """Record ``outcomes`` and take ``claim`` in one transaction; return the claimed."""
        self.settled += record_all(outcomes, self._account, claim)
        if self.kept is not None:
            self.kept += [outcome.message for outcome in outcomes if outcome.owned]
        return claim.messages() if claim else []

    def keep(self) -> None:
        """Renew the lease on this run's rows (those in flight and those held back) when
        it is due."""
        claimed = [message for message, _token in self.in_flight.values()] + self.held
        self.keeper.keep(claimed + self._attaching)

    def drain(self) -> None:
        while self.in_flight or self.held:
            self.record(self.gather())
            self.release_held()

    def _submit(self, message: Message, token: str) -> None:
        try:
            future = self.executor.submit(http_send, self.client, token, send_kwargs(message))
        except RuntimeError:  # the pool is shutting down (interpreter exit): send here
            future = Future()
            future.set_result(http_send(self.client, token, send_kwargs(message)))
        self.in_flight[future] = (message, token)

    def _refused(self, message: Message, token: str, exc: ZaloAPIError) -> Outcome | None:
        """Zalo refused the access token: refresh it (or pick up another worker's refresh)
        and send again. A token Zalo took before has expired: refresh as often as that
        happens. New tokens refused on first use too often in a row: the run stops."""
        if self.broken is not None:
            return Outcome(message, self.broken)
        if token in self._refresh_failed:
            return Outcome(message, self._refresh_failed[token])
        resends = getattr(message, "_zns_resends", 0)
        if token not in self._refused_tokens:  # once per token: the row counts it once
            self._refused_tokens.add(token)
            # Taken before in this run: expired (the row may not know yet that it was taken).
            if token_refused(token, exc) and token not in self._accepted:
                # Later sends wait, unclaimed, for a token Zalo takes.
                self.broken = fresh_tokens_refused(exc, FRESH_TOKEN_REFUSALS)
                return Outcome(message, self.broken)
        if resends >= MAX_TOKEN_RESENDS:
            return Outcome(message, refused_again(exc, resends))
        if self._token is None or token == self._token:
            try:
                self._token = refreshed_token(self.client, token)
            except (ZaloAPIError, ZnsConfigurationError) as error:
                self._refresh_failed[token] = error
                self._token = None  # the next messages ask for a token again
                return Outcome(message, error)
        message._zns_resends = resends + 1
        self._submit(message, self._token)
        return None
