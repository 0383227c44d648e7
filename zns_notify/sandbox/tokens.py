"""OAuth v4 token issuing for the sandbox: rotating single-use refresh tokens and PKCE codes.

Mirrors zns-api.md §4: access tokens live ``access_token_ttl`` seconds (25 h at Zalo),
refresh tokens 3 months and only once, authorization codes 10 minutes and only once.
Errors come back as :class:`OAuthError`, which the HTTP layer turns into Zalo's
``{"error", "error_name", "error_description"}`` body (HTTP 200).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from zns_notify.sandbox import codes
from zns_notify.sandbox.defaults import ACCESS_TOKEN_TTL, AUTH_CODE_TTL, REFRESH_TOKEN_TTL

logger = logging.getLogger(__name__)

# Real tokens are a few hundred characters; long fake ones catch too-short DB columns.
_TOKEN_BYTES = 240


def mask_token(token: str) -> str:
    """Enough of a token to tell two apart in a log, never enough to use it."""
    return f"{token[:6]}…{token[-4:]}" if len(token) > 12 else "…"


def pkce_challenge(verifier: str) -> str:
    """S256 code challenge: base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OAuthError(Exception):
    def __init__(self, code: int, name: str, description: str) -> None:
        super().__init__(f"{code} {name}: {description}")
        self.code, self.name, self.description = code, name, description

    def as_body(self) -> dict[str, object]:
        return {
            "error": self.code,
            "error_name": self.name,
            "error_description": self.description,
            "error_reason": "",
        }


@dataclass
class _Refresh:
    expires_at: float
    alive: bool = True


@dataclass
class _Code:
    challenge: str | None
    expires_at: float
    used: bool = False


class TokenStore:
    """Thread-safe registry of issued tokens and what happened to them."""

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        oa_id: str,
        access_token_ttl: int = ACCESS_TOKEN_TTL,
        refresh_token_ttl: int = REFRESH_TOKEN_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app_id, self.app_secret, self.oa_id = app_id, app_secret, oa_id
        self.access_token_ttl = access_token_ttl
        self.refresh_token_ttl = refresh_token_ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._access: dict[str, float] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._codes: dict[str, _Code] = {}
        self._counts: Counter[str] = Counter()
        self._events: deque[dict[str, object]] = deque(maxlen=1000)

    # -- access tokens -------------------------------------------------------------------
    def is_valid(self, access_token: str | None) -> bool:
        if not access_token:
            return False
        with self._lock:
            expires_at = self._access.get(access_token)
        return expires_at is not None and self._clock() < expires_at

    def expire_access_tokens(self) -> int:
        """Make every issued access token expired now (the "force-expire" knob)."""
        with self._lock:
            now = self._clock()
            live = [t for t, exp in self._access.items() if exp > now]
            for token in live:
                self._access[token] = now
            self._record("expired_all", detail=f"{len(live)} live access tokens expired")
        logger.info("sandbox: force-expired %d access tokens", len(live))
        return len(live)

    # -- issuing -------------------------------------------------------------------------
    def mint(self) -> dict[str, str]:
        """A fresh pair, as Zalo's API Explorer hands out."""
        with self._lock:
            return self._issue("minted")

    def _issue(self, kind: str) -> dict[str, str]:
        # Caller holds the lock.
        now = self._clock()
        access, refresh = secrets.token_urlsafe(_TOKEN_BYTES), secrets.token_urlsafe(_TOKEN_BYTES)
        self._access[access] = now + self.access_token_ttl
        self._refresh[refresh] = _Refresh(expires_at=now + self.refresh_token_ttl)
        self._record(kind, access=access, refresh=refresh)
        logger.info("sandbox: %s token pair %s", kind, mask_token(access))
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": str(self.access_token_ttl),
        }

    def _record(self, kind: str, *, access: str = "", refresh: str = "", detail: str = "") -> None:
        self._counts[kind] += 1
        event: dict[str, object] = {"event": kind, "at": int(self._clock() * 1000)}
        if access:
            event["access_token"] = mask_token(access)
        if refresh:
            event["refresh_token"] = mask_token(refresh)
        if detail:
            event["detail"] = detail
        self._events.append(event)

    # -- POST /v4/oa/access_token --------------------------------------------------------
    def grant(self, form: Mapping[str, str], secret_key: str | None) -> dict[str, str]:
        """Handle one token request; raises :class:`OAuthError` on any failure."""
        if form.get("app_id") != self.app_id:
            raise OAuthError(codes.OAUTH_INVALID_APP_ID, "invalid_app_id", "Invalid appId")
        if not secret_key or not hmac.compare_digest(secret_key, self.app_secret):
            raise OAuthError(
                codes.OAUTH_INVALID_SECRET_KEY,
                "invalid_secret_key",
                "Header secret_key does not match the app secret",
            )
        grant_type = form.get("grant_type")
        if grant_type == "refresh_token":
            return self._refresh_grant(form.get("refresh_token", ""))
        if grant_type == "authorization_code":
            return self._code_grant(form.get("code", ""), form.get("code_verifier"))
        raise OAuthError(
            codes.OAUTH_INVALID_PARAMETER,
            "invalid_parameter",
            "grant_type must be refresh_token or authorization_code",
        )

    def _refresh_grant(self, refresh_token: str) -> dict[str, str]:
        with self._lock:
            entry = self._refresh.get(refresh_token)
            if entry is None:
                self._record("refresh_invalid", refresh=refresh_token)
                raise _bad_refresh("Refresh token is invalid")
            if not entry.alive:
                # The tell-tale of two workers refreshing at once: make it visible.
                self._record("refresh_reuse", refresh=refresh_token)
                logger.warning("sandbox: reuse of dead refresh token %s", mask_token(refresh_token))
                raise _bad_refresh("Refresh token has already been used")
            if self._clock() >= entry.expires_at:
                self._record("refresh_expired", refresh=refresh_token)
                raise _bad_refresh("Refresh token has expired")
            entry.alive = False
            return self._issue("refreshed")

    # -- authorization code + PKCE -------------------------------------------------------
    def issue_code(self, code_challenge: str | None) -> str:
        code = secrets.token_urlsafe(48)
        with self._lock:
            self._codes[code] = _Code(
                challenge=code_challenge or None, expires_at=self._clock() + AUTH_CODE_TTL
            )
            self._record("code_issued")
        return code

    def _code_grant(self, code: str, verifier: str | None) -> dict[str, str]:
        with self._lock:
            entry = self._codes.get(code)
            if entry is None or entry.used or self._clock() >= entry.expires_at:
                why = "unknown" if entry is None else "used" if entry.used else "expired"
                raise OAuthError(
                    codes.OAUTH_INVALID_CODE,
                    "invalid_code",
                    f"Authorization code is invalid ({why})",
                )
            if entry.challenge is not None and not (
                verifier and hmac.compare_digest(pkce_challenge(verifier), entry.challenge)
            ):
                raise OAuthError(
                    codes.OAUTH_INVALID_CODE,
                    "invalid_code_verifier",
                    "code_verifier does not match the code_challenge",
                )
            entry.used = True
            return self._issue("authorized")

    # -- inspection ----------------------------------------------------------------------
    def history(self) -> dict[str, object]:
        with self._lock:
            now = self._clock()
            counts = {name: self._counts[kind] for kind, name in _COUNT_NAMES.items()}
            counts["issued"] = counts["minted"] + counts["authorized"] + counts["refreshed"]
            return {
                "counts": counts,
                "live_access_tokens": sum(1 for exp in self._access.values() if exp > now),
                "live_refresh_tokens": sum(
                    1 for r in self._refresh.values() if r.alive and r.expires_at > now
                ),
                "access_token_ttl": self.access_token_ttl,
                "events": list(self._events),
            }

    def clear(self) -> None:
        with self._lock:
            self._access.clear()
            self._refresh.clear()
            self._codes.clear()
            self._counts.clear()
            self._events.clear()


# Event kind -> name of its counter in GET /_sandbox/tokens.
_COUNT_NAMES = {
    "minted": "minted",
    "authorized": "authorized",
    "refreshed": "refreshed",
    "refresh_reuse": "reuse_attempts",
    "refresh_invalid": "invalid_refresh_tokens",
    "refresh_expired": "expired_refresh_tokens",
    "code_issued": "codes_issued",
    "expired_all": "force_expiries",
}


def _bad_refresh(description: str) -> OAuthError:
    return OAuthError(codes.OAUTH_INVALID_REFRESH_TOKEN, "invalid_refresh_token", description)
