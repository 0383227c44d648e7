"""Why a request or a check of a code is refused: one exception type with a stable
``code`` (for programs, the REST answers to come), a translated message (for people) and,
for the refusals that pass with time, ``retry_after`` in whole seconds.

No refusal says anything about another phone, nor whether a phone has a Zalo account: a
request for any valid phone is accepted alike, and a check only says what became of the
code this caller holds.
"""

from __future__ import annotations

import math
from enum import StrEnum

from django.utils.translation import gettext as _

from zns_notify.exceptions import ZnsError


class Refusal(StrEnum):
    INVALID_PHONE = "invalid_phone"
    UNKNOWN_PURPOSE = "unknown_purpose"
    COOLDOWN = "cooldown"
    RATE_LIMITED = "rate_limited"
    INVALID_CODE = "invalid_code"
    EXPIRED = "expired"
    REUSED = "reused"
    TOO_MANY_TRIES = "too_many_tries"


def _message(code: Refusal) -> str:
    return {
        Refusal.INVALID_PHONE: _("This is not a Vietnamese mobile number."),
        Refusal.UNKNOWN_PURPOSE: _("Codes are not sent for this purpose."),
        Refusal.COOLDOWN: _("A code was just sent. Wait before asking for another one."),
        Refusal.RATE_LIMITED: _("Too many codes were asked for. Try again later."),
        Refusal.INVALID_CODE: _("This code is not right."),
        Refusal.EXPIRED: _("This code has expired. Ask for a new one."),
        Refusal.REUSED: _("This code has already been used. Ask for a new one."),
        Refusal.TOO_MANY_TRIES: _("Too many wrong codes. Ask for a new one."),
    }[code]


class OtpRefused(ZnsError):
    """A request for a code, or the check of one, was refused; ``code`` says why."""

    def __init__(
        self,
        code: Refusal,
        *,
        retry_after: float | None = None,
        message: str | None = None,
    ):
        self.code = Refusal(code)
        # Whole seconds, rounded up: "retry after 0" would invite a request that fails.
        self.retry_after = None if retry_after is None else max(1, math.ceil(retry_after))
        super().__init__(message or _message(self.code))

    @property
    def message(self) -> str:
        return str(self.args[0])

    def as_dict(self) -> dict:
        """The refusal as an answer body: ``code``, ``message`` and, for the refusals that
        pass with time, ``retry_after``. Never a count of tries left: it would tell a phone
        with a live code from one without."""
        body: dict = {"code": str(self.code), "message": self.message}
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
        return body


def checks_limited(retry_after: float) -> OtpRefused:
    """``rate_limited`` for checks (``OTP_VERIFY_LIMIT_PER_IP``): the requests' code, with
    words for a customer typing codes rather than asking for them."""
    return OtpRefused(
        Refusal.RATE_LIMITED,
        retry_after=retry_after,
        message=_("Too many codes were tried. Try again later."),
    )
