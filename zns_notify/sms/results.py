"""The outcome of one SMS send, the same for every provider."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from zns_notify.sms.exceptions import (
    SmsAccountError,
    SmsPermanentError,
    SmsRetryableError,
    SmsSendError,
)


class SmsErrorKind(StrEnum):
    """What a failed send asks for; stored by the fallback step like ZNS's error category."""

    RETRYABLE = "retryable"  # back off and send again (with the same reference)
    PERMANENT = "permanent"  # final for this message: the number or the text is refused
    CONFIGURATION = "configuration"  # the account is refused: an admin must act


_ERRORS: dict[SmsErrorKind, type[SmsSendError]] = {
    SmsErrorKind.RETRYABLE: SmsRetryableError,
    SmsErrorKind.PERMANENT: SmsPermanentError,
    SmsErrorKind.CONFIGURATION: SmsAccountError,
}


@dataclass(frozen=True)
class SmsResult:
    """What a provider answered to ``send(phone, text, reference=…)``.

    ``accepted`` means the provider took the message (not that the phone received it).
    ``ambiguous`` marks a failure after the request may have reached the provider (read
    timeout, reset, HTTP 5xx): like ZNS's timeouts, it may have been accepted. Sending
    again with the same ``reference`` is safe only when the provider is ``idempotent``.
    ``duplicate`` marks an answer saying this reference was already accepted.
    """

    accepted: bool
    provider: str
    reference: str
    message_id: str = ""
    error_kind: SmsErrorKind | None = None
    error_code: str = ""
    error_message: str = ""
    ambiguous: bool = False
    duplicate: bool = False
    encoding: str = ""
    segments: int = 0
    cost: Decimal | None = None  # VND
    cost_is_estimate: bool = False
    raw: Any = field(default=None, compare=False, repr=False)  # the provider's parsed answer

    @property
    def retryable(self) -> bool:
        return self.error_kind == SmsErrorKind.RETRYABLE

    def with_cost(self, cost: Decimal | None, *, estimate: bool) -> SmsResult:
        return replace(self, cost=cost, cost_is_estimate=estimate)

    def as_record(self) -> dict[str, Any]:
        """The result as JSON-safe values, to store with the message's history."""
        return {
            "accepted": self.accepted,
            "provider": self.provider,
            "reference": self.reference,
            "message_id": self.message_id,
            "error_kind": str(self.error_kind) if self.error_kind else None,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "ambiguous": self.ambiguous,
            "duplicate": self.duplicate,
            "encoding": self.encoding,
            "segments": self.segments,
            "cost": None if self.cost is None else str(self.cost),
            "cost_is_estimate": self.cost_is_estimate,
            "raw": self.raw,
        }

    def raise_for_error(self) -> SmsResult:
        """Return self when accepted; else raise the :class:`SmsSendError` of its kind."""
        if self.accepted:
            return self
        raise _ERRORS[self.error_kind or SmsErrorKind.RETRYABLE](self)

    def __str__(self) -> str:
        if self.accepted:
            return f"SMS accepted by {self.provider} (id {self.message_id or 'unknown'})"
        code = f" {self.error_code}" if self.error_code else ""
        maybe = " (may have been accepted)" if self.ambiguous else ""
        return (
            f"SMS refused by {self.provider}{code}: {self.error_message or 'no reason given'}"
            f" [{self.error_kind}]{maybe}"
        )
