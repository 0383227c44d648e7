"""The ``ZNS_NOTIFY`` keys of one-time codes (docs/otp.md, docs/settings.md "One-time
codes"): which purposes exist, how long a code lives, how many wrong tries and requests
are allowed, and the key codes are hashed with."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from string import Formatter
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_noop as N_

from zns_notify.lib import setting_values as parse

#: ``OTP_PURPOSES``' default; a shop names its own (the labels stay English here, the
#: admin translates them).
DEFAULT_OTP_PURPOSES: dict[str, str] = {
    "sign_up": N_("Sign-up"),
    "login": N_("Log-in"),
    "checkout": N_("Checkout confirmation"),
}

#: Zalo's OTP parameter holds at most 10 characters (docs/zns-api "param types").
MAX_CODE_LENGTH = 10
MIN_CODE_LENGTH = 4

#: Longest window a rate limit may count over: one day keeps the counting query on the
#: recent rows of the table's indexes.
MAX_LIMIT_WINDOW = 24 * 3600

#: ``OTP_SMS_TEXT``'s default: Vietnamese without diacritics, so that it is GSM-7 and one
#: segment (160 characters) even with a 10-digit code and a long purpose label.
DEFAULT_OTP_SMS_TEXT = "Ma xac thuc {code} cho {purpose}. Het han sau {minutes} phut."
#: The placeholders ``OTP_SMS_TEXT`` may use; ``code`` is required.
OTP_SMS_FIELDS = ("code", "purpose", "minutes")

#: Separates the OTP key derived from ``SECRET_KEY`` from every other use of that secret.
_KEY_DOMAIN = b"zns_notify.otp.hash-key.v1"


def _limit(key: str, value: Any) -> tuple[int, int]:
    """``(count, seconds)``: at most ``count`` requests (or checks) in any ``seconds``; 0
    turns it off."""
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or any(isinstance(part, bool) or not isinstance(part, int) for part in value)
        or value[0] < 0
        or not 1 <= value[1] <= MAX_LIMIT_WINDOW
    ):
        raise parse.invalid(
            key,
            f"must be (count, seconds): a count of 0 or more (0: no limit) and a window of "
            f"1 to {MAX_LIMIT_WINDOW} seconds.",
        )
    return int(value[0]), int(value[1])


class OtpSettings:
    """Mixed into :class:`zns_notify.conf.AppSettings`, which provides ``_get``."""

    _get: Callable[..., Any]

    @property
    def OTP_PURPOSES(self) -> dict[str, str]:
        """What codes are for: purpose name -> label (``{"sign_up": "Sign-up", ...}``).

        A request or check with a purpose not named here is refused (``unknown_purpose``).
        Names are 1 to 64 characters."""
        value = self._get("OTP_PURPOSES", DEFAULT_OTP_PURPOSES)
        if not isinstance(value, dict) or not value:
            raise parse.invalid("OTP_PURPOSES", "must be a non-empty dict of name -> label.")
        for name, label in value.items():
            if not isinstance(name, str) or not 1 <= len(name) <= 64 or not str(label):
                raise parse.invalid(
                    "OTP_PURPOSES", f"has {name!r}: names are 1 to 64 characters, with a label."
                )
        return dict(value)

    @property
    def OTP_CODE_LENGTH(self) -> int:
        """Digits in a code (default 6; 4 to 10, Zalo's OTP parameter holds 10)."""
        return parse.whole_number(
            "OTP_CODE_LENGTH", self._get("OTP_CODE_LENGTH", 6), MIN_CODE_LENGTH, MAX_CODE_LENGTH
        )

    @property
    def OTP_TTL(self) -> int:
        """Seconds a code stays valid after it is requested (default 300: 5 minutes)."""
        return parse.whole_number("OTP_TTL", self._get("OTP_TTL", 300), 30, 3600)

    @property
    def OTP_MAX_TRIES(self) -> int:
        """Wrong codes allowed for one request: the last of them locks it (default 5)."""
        return parse.whole_number("OTP_MAX_TRIES", self._get("OTP_MAX_TRIES", 5), 1, 20)

    @property
    def OTP_RESEND_COOLDOWN(self) -> int:
        """Seconds after a request before the same phone and purpose may ask again
        (default 60; 0: none)."""
        return parse.whole_number(
            "OTP_RESEND_COOLDOWN", self._get("OTP_RESEND_COOLDOWN", 60), 0, 3600
        )

    @property
    def OTP_LIMIT_PER_PHONE(self) -> tuple[int, int]:
        """(count, seconds): requests one phone may make, all purposes together
        (default 5 an hour)."""
        return _limit("OTP_LIMIT_PER_PHONE", self._get("OTP_LIMIT_PER_PHONE", (5, 3600)))

    @property
    def OTP_LIMIT_PER_PURPOSE(self) -> tuple[int, int]:
        """(count, seconds): requests for one purpose, all phones together: the brake on
        a flood spending the OA's quota (default 1,000 an hour)."""
        return _limit("OTP_LIMIT_PER_PURPOSE", self._get("OTP_LIMIT_PER_PURPOSE", (1000, 3600)))

    @property
    def OTP_LIMIT_PER_IP(self) -> tuple[int, int]:
        """(count, seconds): requests from one client IP (default 10 an hour); only
        requests that pass ``client_ip`` are counted."""
        return _limit("OTP_LIMIT_PER_IP", self._get("OTP_LIMIT_PER_IP", (10, 3600)))

    @property
    def OTP_VERIFY_LIMIT_PER_IP(self) -> tuple[int, int]:
        """(count, seconds): checks of codes from one client IP, all phones and purposes
        together, right or wrong: the brake on guessing codes across many phones (default
        30 an hour); only checks that pass ``client_ip`` are counted."""
        return _limit("OTP_VERIFY_LIMIT_PER_IP", self._get("OTP_VERIFY_LIMIT_PER_IP", (30, 3600)))

    @property
    def OTP_KEEP_DAYS(self) -> int:
        """Days the rows of codes (requests, and the checks counted per IP) are kept before
        the daily ``zns_notify.tasks.prune_otp`` deletes them (default 30; 1 to 3650: a
        day at least, the longest window a rate limit counts over)."""
        return parse.whole_number("OTP_KEEP_DAYS", self._get("OTP_KEEP_DAYS", 30), 1, 3650)

    @property
    def OTP_HASH_KEY(self) -> bytes:
        """Key of the HMAC-SHA256 that codes and client IPs are stored as. Default: derived
        from Django's ``SECRET_KEY`` (changing that key then voids the live codes)."""
        value = self._get("OTP_HASH_KEY", "")
        if value:
            if not isinstance(value, str | bytes) or len(value) < 16:
                raise parse.invalid("OTP_HASH_KEY", "must be a string of 16 characters or more.")
            return value.encode() if isinstance(value, str) else bytes(value)
        secret = str(settings.SECRET_KEY).encode()
        return hmac.new(secret, _KEY_DOMAIN, hashlib.sha256).digest()

    @property
    def OTP_TEMPLATE_ID(self) -> str | None:
        """Zalo template id of the OTP template; None: the synced authentication template."""
        value = self._get("OTP_TEMPLATE_ID", None)
        return None if value in (None, "") else str(value)

    @property
    def OTP_CODE_PARAM(self) -> str | None:
        """The template parameter that carries the code; None: the one whose type is OTP."""
        value = self._get("OTP_CODE_PARAM", None)
        return None if value in (None, "") else str(value)

    @property
    def OTP_SEND_FROM_REQUEST(self) -> bool:
        """Whether the process that requests a code sends it to Zalo itself, right after
        the request commits (default True: the code does not wait behind the queue).
        False: the workers send it, the brokers' poll handing it out first."""
        return bool(self._get("OTP_SEND_FROM_REQUEST", True))

    @property
    def OTP_SMS_AFTER(self) -> int:
        """Seconds after the code was requested before it goes by SMS when no delivery
        receipt came by then (when ``SMS_PROVIDER`` is set; default 20). Counted from the
        request, not from Zalo's acceptance: the customer has waited since then."""
        return parse.whole_number("OTP_SMS_AFTER", self._get("OTP_SMS_AFTER", 20), 5, 600)

    @property
    def OTP_SMS_TEXT(self) -> str:
        """The SMS that carries a code: a ``str.format`` text with ``{code}`` and, if it
        likes, ``{purpose}`` (the purpose's label) and ``{minutes}`` (``OTP_TTL``)."""
        value = self._get("OTP_SMS_TEXT", DEFAULT_OTP_SMS_TEXT)
        problem = "must be a text with {code}, and only {code}, {purpose} and {minutes}."
        if not isinstance(value, str):
            raise parse.invalid("OTP_SMS_TEXT", problem)
        try:
            fields = {name for _text, name, _spec, _conv in Formatter().parse(value) if name}
        except ValueError:
            raise parse.invalid("OTP_SMS_TEXT", problem) from None
        if "code" not in fields or not fields <= set(OTP_SMS_FIELDS):
            raise parse.invalid("OTP_SMS_TEXT", problem)
        return value
