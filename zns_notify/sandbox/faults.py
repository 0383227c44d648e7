"""Fault injection: latency, HTTP 500s, held connections, resets and forced Zalo errors.

Every knob is bounded and validated, and all randomness comes from one seeded RNG, so a
test can ask for "exactly this sequence of failures". Transport faults pick one outcome per
request with a single draw (reset, else 500, else timeout, else normal), which is why their
rates must add up to at most 1.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from zns_notify.sandbox.defaults import TIMEOUT_HOLD_SECONDS
from zns_notify.sandbox.sms import ACCEPTED, MESSAGES
from zns_notify.sandbox.validation import normalize_hash, normalize_phone

MAX_LATENCY_MS = 60_000
MAX_TIMEOUT_SECONDS = 300.0
RESET, HTTP_500, TIMEOUT = "reset", "http_500", "timeout"


@dataclass(frozen=True)
class Faults:
    latency_ms: int = 0
    http_500_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_seconds: float = TIMEOUT_HOLD_SECONDS
    reset_rate: float = 0.0
    error_code: int | None = None
    error_rate: float = 1.0
    error_codes_by_phone: dict[str, int] = field(default_factory=dict)
    error_codes_by_template: dict[str, int] = field(default_factory=dict)
    # A Zalo error forced on every POST /journey/get-token (ZNS Journey), e.g. to see a
    # client fall back to a normal send when Zalo issues no token.
    get_token_error_code: int | None = None
    # Path prefixes the transport faults apply to; None means every Zalo API path.
    paths: tuple[str, ...] | None = None
    # SMS mode (sandbox/sms.py): eSMS unreachable (HTTP 503), or a forced CodeResult.
    sms_down: bool = False
    sms_error_code: str | None = None
    sms_error_rate: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["paths"] = list(self.paths) if self.paths is not None else None
        return data


@dataclass(frozen=True)
class Decision:
    latency: float = 0.0
    action: str | None = None
    hold: float = 0.0


_NAMES = {f.name for f in fields(Faults)}


class FaultInjector:
    """Holds the current :class:`Faults` and draws from the seeded RNG under one lock."""

    def __init__(self, seed: int | None = None, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self._faults = faults or Faults()
        self._seed = seed
        self._rng = random.Random(f"faults-{seed}" if seed is not None else None)

    @property
    def faults(self) -> Faults:
        return self._faults

    def update(self, changes: dict[str, Any]) -> Faults:
        """Apply validated changes (raises ValueError naming the bad knob)."""
        changes = dict(changes)
        seed = changes.pop("seed", None)
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ValueError("seed must be an integer")
        faults = parse_faults(self._faults, changes)
        with self._lock:
            self._faults = faults
            if seed is not None:
                self._seed, self._rng = seed, random.Random(f"faults-{seed}")
        return faults

    def clear(self) -> None:
        with self._lock:
            self._faults = Faults()
            if self._seed is not None:
                self._rng = random.Random(f"faults-{self._seed}")

    def transport(self, path: str) -> Decision:
        """What to do to this request before (latency) and instead of / after answering."""
        f = self._faults
        if f.paths is not None and not any(path.startswith(p) for p in f.paths):
            return Decision()
        action = None
        if f.reset_rate or f.http_500_rate or f.timeout_rate:
            with self._lock:
                draw = self._rng.random()
            if draw < f.reset_rate:
                action = RESET
            elif draw < f.reset_rate + f.http_500_rate:
                action = HTTP_500
            elif draw < f.reset_rate + f.http_500_rate + f.timeout_rate:
                action = TIMEOUT
        return Decision(
            latency=f.latency_ms / 1000,
            action=action,
            hold=f.timeout_seconds if action == TIMEOUT else 0.0,
        )

    def forced_error(self, recipient: str, template_id: str) -> int | None:
        """The error code forced for this send, if any: per phone, per template, then global."""
        f = self._faults
        code = f.error_codes_by_phone.get(recipient) or f.error_codes_by_template.get(template_id)
        if code:
            return code
        if f.error_code is None:
            return None
        if f.error_rate >= 1:
            return f.error_code
        with self._lock:
            return f.error_code if self._rng.random() < f.error_rate else None

    def forced_sms_error(self) -> str | None:
        """The eSMS CodeResult forced for this SMS send, if any."""
        f = self._faults
        if f.sms_error_code is None:
            return None
        if f.sms_error_rate >= 1:
            return f.sms_error_code
        with self._lock:
            return f.sms_error_code if self._rng.random() < f.sms_error_rate else None


def parse_faults(current: Faults, changes: dict[str, Any]) -> Faults:
    unknown = set(changes) - _NAMES
    if unknown:
        raise ValueError(f"unknown fault knob(s): {', '.join(sorted(unknown))}")
    values = dict(changes)
    if "latency_ms" in values:
        values["latency_ms"] = int(_number(values, "latency_ms", 0, MAX_LATENCY_MS))
    for name in ("http_500_rate", "timeout_rate", "reset_rate", "error_rate", "sms_error_rate"):
        if name in values:
            values[name] = _number(values, name, 0, 1)
    if "timeout_seconds" in values:
        values["timeout_seconds"] = _number(values, "timeout_seconds", 0, MAX_TIMEOUT_SECONDS)
    if "error_code" in values and values["error_code"] is not None:
        values["error_code"] = _code(values["error_code"], "error_code")
    if values.get("get_token_error_code") is not None:
        values["get_token_error_code"] = _code(
            values["get_token_error_code"], "get_token_error_code"
        )
    if "error_codes_by_phone" in values:
        values["error_codes_by_phone"] = {
            _recipient(k): _code(v, f"error_codes_by_phone[{k}]")
            for k, v in _mapping(values, "error_codes_by_phone").items()
        }
    if "error_codes_by_template" in values:
        values["error_codes_by_template"] = {
            str(k): _code(v, f"error_codes_by_template[{k}]")
            for k, v in _mapping(values, "error_codes_by_template").items()
        }
    if "sms_down" in values and not isinstance(values["sms_down"], bool):
        raise ValueError("sms_down must be true or false")
    if values.get("sms_error_code") is not None:
        values["sms_error_code"] = _sms_code(values["sms_error_code"])
    if "paths" in values and values["paths"] is not None:
        paths = values["paths"]
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise ValueError("paths must be a list of path prefixes or null")
        values["paths"] = tuple(paths)
    faults = replace(current, **values)
    if faults.reset_rate + faults.http_500_rate + faults.timeout_rate > 1:
        raise ValueError("reset_rate + http_500_rate + timeout_rate must not exceed 1")
    return faults


def _number(values: dict[str, Any], name: str, low: float, high: float) -> float:
    value = values[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValueError(f"{name} must be a number between {low} and {high}")
    return float(value)


def _code(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value >= 0:
        raise ValueError(f"{name} must be a negative Zalo error code")
    return value


def _sms_code(value: Any) -> str:
    code = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if code == ACCEPTED or code not in MESSAGES:
        raise ValueError(f"sms_error_code must be an eSMS error code: {', '.join(MESSAGES)}")
    return code


def _mapping(values: dict[str, Any], name: str) -> dict[Any, Any]:
    if not isinstance(values[name], dict):
        raise ValueError(f"{name} must be an object")
    return values[name]


def _recipient(key: Any) -> str:
    recipient = normalize_phone(key) or normalize_hash(key)
    if recipient is None:
        raise ValueError(f"error_codes_by_phone key {key!r} is not a phone number or hash")
    return recipient
