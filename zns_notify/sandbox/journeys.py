"""ZNS Journey tokens of the fake Zalo (zns-api.md §2 journey row, §3 -148/-149/-1491/-150).

A journey token is asked for one customer's phone and one token type (``token_logistics_7``
…), lives 7 or 30 days from issue, and is billed once, by the first message Zalo accepts
under it (the ``journey_token`` header on the normal send). When it ends, Zalo posts
``event_journey_time_out``, once: the expire tool ends it at once, and a token that runs out
by the clock is noticed by :meth:`JourneyBook.lapsed`. Pure logic with its own lock, like
:mod:`zns_notify.sandbox.tokens`; the state calls in here while holding its own lock, never
the other way round, so the two locks cannot deadlock.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from zns_notify.sandbox import codes
from zns_notify.sandbox.records import Reply, SentMessage, fail
from zns_notify.sandbox.validation import hash_phone

DAY_MS = 24 * 3600 * 1000
#: Token types and their lifetimes in days (SPEC2 names the logistics and coach-bus ones).
LIFETIME_DAYS: dict[str, int] = {
    "token_logistics_7": 7,
    "token_logistics_30": 30,
    "token_coach_bus_7": 7,
    "token_coach_bus_30": 30,
}
#: What get-token issues when the request names no type (the vendors' examples default to it).
DEFAULT_TOKEN_TYPE = "token_logistics_7"
_TOKEN_BYTES = 32


@dataclass
class JourneyToken:
    token: str
    journey_id: str
    phone: str  # 84…
    token_type: str
    oa_id: str
    created_ms: int
    expires_ms: int
    billed_ms: int | None = None  # the first accepted send under it
    tracking_ids: list[str] = field(default_factory=list)
    messages: int = 0
    timed_out: bool = False  # event_journey_time_out posted

    def expired(self, now_ms: int) -> bool:
        return now_ms >= self.expires_ms

    def as_dict(self, now_ms: int) -> dict[str, Any]:
        """A row of GET /_sandbox/journeys (the token itself stays out, as access tokens do)."""
        return {
            "journey_id": self.journey_id,
            "phone": self.phone,
            "token_type": self.token_type,
            "created_ms": self.created_ms,
            "expires_ms": self.expires_ms,
            "expired": self.expired(now_ms),
            "billed": self.billed_ms is not None,
            "billed_ms": self.billed_ms,
            "messages": self.messages,
            "tracking_ids": list(self.tracking_ids),
        }


def event_payload(journey: JourneyToken, event_name: str) -> dict[str, Any]:
    """The body of a journey webhook, without app_id and timestamp (the dispatcher adds
    them). zns-api.md calls the shape UNCERTAIN: this is the flat variant of journey.md."""
    return {
        "oa_id": journey.oa_id,
        "event_name": event_name,
        "journey_id": journey.journey_id,
        "token_type": journey.token_type,
        "phone": journey.phone,
    }


class JourneyBook:
    """Every journey token issued, thread-safe."""

    def __init__(self, clock_ms: Callable[[], int]) -> None:
        self._now = clock_ms
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self._by_token: dict[str, JourneyToken] = {}
        self._by_id: dict[str, JourneyToken] = {}
        self._requests = 0  # get-token requests answered, whatever the answer
        # The earliest expiry of a journey not timed out yet, so that lapsed(), called on
        # every request, scans the book only when one may be due.
        self._next_lapse_ms: int | None = None

    def clear(self) -> None:
        with self._lock:
            self._clear()

    def count_request(self) -> None:
        with self._lock:
            self._requests += 1

    def issue(self, phone: str, token_type: str, oa_id: str) -> JourneyToken:
        """A new token for ``phone`` (normalized) and a known ``token_type``."""
        now = self._now()
        with self._lock:
            journey_id = str(10**18 + secrets.randbelow(9 * 10**18))
            while journey_id in self._by_id:
                journey_id = str(10**18 + secrets.randbelow(9 * 10**18))
            journey = JourneyToken(
                token=secrets.token_urlsafe(_TOKEN_BYTES),
                journey_id=journey_id,
                phone=phone,
                token_type=token_type,
                oa_id=oa_id,
                created_ms=now,
                expires_ms=now + LIFETIME_DAYS[token_type] * DAY_MS,
            )
            self._by_token[journey.token] = journey
            self._by_id[journey_id] = journey
            if self._next_lapse_ms is None or journey.expires_ms < self._next_lapse_ms:
                self._next_lapse_ms = journey.expires_ms
        return journey

    def check(self, token: str | None) -> Reply:
        """GET /journey/check-token's answer."""
        with self._lock:
            journey = self._by_token.get(token or "")
        if journey is None:
            return fail(codes.JOURNEY_TOKEN_NOT_FOUND)
        if journey.expired(self._now()):
            return fail(codes.JOURNEY_TOKEN_EXPIRED)
        return Reply(
            codes.SUCCESS,
            "Success",
            {
                "journey_id": journey.journey_id,
                "tokenType": journey.token_type,
                "createdAt": str(journey.created_ms),
                "expiredAt": str(journey.expires_ms),
            },
        )

    def refusal(
        self,
        token: str,
        *,
        recipient: str,
        template_id: str,
        oa_id: str,
        declared: Mapping[str, tuple[str, ...]],
    ) -> Reply | None:
        """Why a send with this ``journey_token`` header is refused, or None."""
        with self._lock:
            journey = self._by_token.get(token)
        if journey is None:
            return fail(codes.JOURNEY_TOKEN_NOT_FOUND)
        if journey.expired(self._now()):
            return fail(codes.JOURNEY_TOKEN_EXPIRED)
        # The recipient is the 84… phone, or its SHA-256 for /hashphone sends.
        if journey.oa_id != oa_id or recipient not in (journey.phone, hash_phone(journey.phone)):
            return fail(codes.JOURNEY_TOKEN_INVALID)
        if template_id not in declared.get(journey.token_type, ()):
            return fail(codes.JOURNEY_TYPE_INCOMPATIBLE)
        return None

    def record(self, token: str, message: SentMessage) -> tuple[JourneyToken, bool] | None:
        """Count an accepted send to its journey; True if this send bills it (the first).
        None if the token is gone (a reset forgot it): the send itself stands."""
        with self._lock:
            journey = self._by_token.get(token)
            if journey is None:
                return None
            journey.messages += 1
            if message.tracking_id is not None:
                journey.tracking_ids.append(message.tracking_id)
            if journey.billed_ms is not None:
                return journey, False
            journey.billed_ms = message.sent_time
            return journey, True

    def expire(self, journey_id: str) -> tuple[JourneyToken, bool]:
        """End a journey now (KeyError if unknown); True if this call timed it out, False
        if its time-out was already posted."""
        now = self._now()
        with self._lock:
            journey = self._by_id[journey_id]
            journey.expires_ms = min(journey.expires_ms, now)
            first = not journey.timed_out
            journey.timed_out = True
        return journey, first

    def lapsed(self) -> list[JourneyToken]:
        """The journeys that ran out by the clock since the last call and whose time-out is
        not posted yet (the expire tool posts its own), marked as timed out: the caller
        posts ``event_journey_time_out`` for each, once."""
        now = self._now()
        with self._lock:
            if self._next_lapse_ms is None or now < self._next_lapse_ms:
                return []
            due = [j for j in self._by_id.values() if not j.timed_out and j.expired(now)]
            for journey in due:
                journey.timed_out = True
            pending = [j.expires_ms for j in self._by_id.values() if not j.timed_out]
            self._next_lapse_ms = min(pending, default=None)
        return due

    def snapshot(self, phone: str | None = None) -> dict[str, Any]:
        """GET /_sandbox/journeys: every token in issue order, and the get-token count."""
        now = self._now()
        with self._lock:
            rows = [j.as_dict(now) for j in self._by_id.values() if phone in (None, j.phone)]
            requests = self._requests
        return {"count": len(rows), "get_token_requests": requests, "journeys": rows}
