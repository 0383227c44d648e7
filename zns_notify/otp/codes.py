"""The codes themselves: drawn from :mod:`secrets`, stored only as a keyed hash, compared
in constant time.

The hash is HMAC-SHA256 under ``OTP_HASH_KEY`` over the phone, the purpose and the code,
so a database dump alone does not give the codes (a 6-digit code's plain SHA-256 is
reversed by trying the million values), and a hash copied onto another phone's row does
not match there. Client IPs are hashed the same way, under their own label.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from zns_notify.conf import app_settings


def new_code() -> str:
    """A fresh code of ``OTP_CODE_LENGTH`` decimal digits, leading zeros kept."""
    length = app_settings.OTP_CODE_LENGTH
    return f"{secrets.randbelow(10**length):0{length}d}"


def _digest(*parts: str) -> str:
    # The unit separator cannot occur in a phone, a purpose name or a digit string, so
    # two different triples never join into the same message.
    text = "\x1f".join(parts).encode()
    return hmac.new(app_settings.OTP_HASH_KEY, text, hashlib.sha256).hexdigest()


def code_hash(phone: str, purpose: str, code: str) -> str:
    """The stored form of ``code`` sent to ``phone`` for ``purpose`` (64 hex characters)."""
    return _digest("code", phone, purpose, code)


def code_matches(stored_hash: str, phone: str, purpose: str, code: str) -> bool:
    """Whether ``code`` is the one ``stored_hash`` was made from; the comparison takes the
    same time whatever the first differing character (:func:`hmac.compare_digest`)."""
    return hmac.compare_digest(stored_hash, code_hash(phone, purpose, str(code)))


def ip_hash(client_ip: str | None) -> str:
    """The stored form of a client IP ("" for none): enough to count its requests, not to
    read it back."""
    if not client_ip:
        return ""
    return _digest("ip", str(client_ip).strip())
