"""Zalo's webhooks on the wire: the event names, the signature, and the payload's fields.

Zalo posts a JSON object and signs it in the header ``X-ZEvent-Signature:
mac=<sha256(app_id + raw body + timestamp + OA secret key)>`` (plain SHA-256, not HMAC;
zns-api.md §7), where ``app_id`` and ``timestamp`` are the strings of the body's fields.
Zalo sends numbers as numbers or as strings of digits and times as epoch milliseconds; the
readers here turn a field into text, an integer or an aware datetime, and anything else
(an object where a string belongs, a bool, null) into "" or None, never an exception.

What to accept (which keys, how old a timestamp, what to answer) is the receiver's policy
(:mod:`zns_notify.receipts.views`); what an event does is :mod:`zns_notify.receipts`'.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: The events zns_notify acts on (zns-api.md §7).
RECEIVED = "user_received_message"
TEMPLATE_STATUS = "change_template_status"
TEMPLATE_QUALITY = "change_template_quality"
DAILY_QUOTA = "change_oa_daily_quota"
FEEDBACK = "user_feedback"
#: ZNS Journey: Zalo billed a journey (its first message went out), and a journey ended.
JOURNEY_ACKNOWLEDGED = "event_journey_acknowledged"
JOURNEY_TIME_OUT = "event_journey_time_out"

#: ``X-ZEvent-Signature``: ``mac=`` and 64 hex characters; the prefix may be missing.
SIGNATURE = re.compile(r"^(?:mac=)?([0-9a-fA-F]{64})$")


# -- the signature ------------------------------------------------------------------------


def expected_signature(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    """The hex digest Zalo signs ``body`` with, given the OA secret key ``secret``."""
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode())
    return digest.hexdigest()


def signature_digest(header: str) -> str | None:
    """The digest of an ``X-ZEvent-Signature`` header, in lower case; None when the header
    is not ``mac=<64 hex characters>`` or the bare digest."""
    match = SIGNATURE.fullmatch(header.strip())
    return match.group(1).lower() if match else None


def signed_app_id(payload: dict[str, Any]) -> str | None:
    """The ``app_id`` the event is signed with; None when the body has none (Zalo then
    signs with the receiving app's id)."""
    app_id = payload.get("app_id")
    return None if app_id is None else text(app_id, 200)


def signature_matches(
    digest: str, app_id: str, body: bytes, payload: dict[str, Any], keys: Iterable[str]
) -> bool:
    """Whether ``digest`` (from :func:`signature_digest`) signs ``body`` with one of
    ``keys``. Every key is compared in constant time, with no early exit: the time taken
    does not tell which key matched."""
    timestamp = text(payload.get("timestamp"), 40)
    # Bytes: compare_digest refuses non-ASCII str, and a caller controls both sides' input.
    given = digest.encode()
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(
            given, expected_signature(app_id, body, timestamp, key).encode()
        )
    return matched


# -- the payload --------------------------------------------------------------------------


def parse_payload(body: bytes | str) -> dict[str, Any] | None:
    """The event's JSON object; None for a body that is not UTF-8 JSON or not an object."""
    try:
        payload = json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return payload if isinstance(payload, dict) else None


def text(value: Any, limit: int) -> str:
    """A string field of Zalo's JSON as text ("" for objects, lists, null), without NUL
    (PostgreSQL refuses it) or lone surrogates (JSON allows "\\ud800"; UTF-8 does not),
    cut to ``limit``."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    value = str(value)[:limit]
    if not value.isascii():
        value = value.encode("utf-8", "ignore").decode("utf-8")
    return value.replace("\x00", "")


def number(value: Any) -> int | None:
    """An integer sent as a number or a string of digits; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and len(value) < 20:
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def from_ms(value: Any) -> dt.datetime | None:
    """Epoch milliseconds (number or string) as an aware datetime."""
    ms = number(value)
    if ms is None:
        return None
    try:
        return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def as_object(value: Any) -> dict[str, Any]:
    """A field that should hold an object; {} for anything else."""
    return value if isinstance(value, dict) else {}


def signed_at(payload: dict[str, Any]) -> dt.datetime | None:
    """The signed ``timestamp`` (epoch ms); None when missing or not a time."""
    return from_ms(payload.get("timestamp"))


def message_ids(payload: dict[str, Any]) -> tuple[str, str]:
    """(Zalo's ``msg_id``, our ``tracking_id``) of a receipt or a rating, "" when absent.
    The msg_id sits in the ``message`` object, or at the top level in older events."""
    data = as_object(payload.get("message"))
    msg_id = text(data.get("msg_id") or payload.get("msg_id"), 64)
    return msg_id, text(data.get("tracking_id"), 64)


def delivery_time(payload: dict[str, Any]) -> dt.datetime | None:
    """When a ``user_received_message`` says the message reached the phone."""
    return from_ms(as_object(payload.get("message")).get("delivery_time"))


@dataclass(frozen=True)
class JourneyFields:
    """What a journey event names: Zalo's journey id, the token type and the phone ("" when
    absent)."""

    journey_id: str
    token_type: str
    phone: str


#: Where a journey event's ids may sit besides the top level (zns-api.md §7 has no sample
#: payload; vendors nest them under one of these).
_JOURNEY_NESTS = ("journey", "data", "message")


def journey_fields(payload: dict[str, Any]) -> JourneyFields:
    """The ids of an ``event_journey_*`` event, in snake_case or camelCase, at the top
    level or nested under "journey", "data" or "message" (the first place that has a
    journey id wins, its token type and phone with it)."""
    for place in (payload, *(as_object(payload.get(nest)) for nest in _JOURNEY_NESTS)):
        journey_id = text(place.get("journey_id") or place.get("journeyId"), 64).strip()
        if journey_id:
            token_type = text(place.get("token_type") or place.get("tokenType"), 32).strip()
            phone = text(place.get("phone") or as_object(place.get("recipient")).get("id"), 20)
            return JourneyFields(journey_id, token_type, phone.strip())
    return JourneyFields("", "", "")
