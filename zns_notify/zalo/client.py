"""HTTP client for Zalo's ZNS API (business.openapi.zalo.me) and OAuth v4 token endpoint.

Zalo answers application errors with HTTP 200 and ``{"error": <code>, "message": ...}``;
numbers and timestamps often arrive as strings. This client turns every answer into
either plain Python data or a :class:`ZaloAPIError` carrying the code and the action the
caller should take. Tokens never appear in exceptions or logs.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests

from zns_notify.conf import app_settings
from zns_notify.lib.http_session import may_have_reached_server, session
from zns_notify.zalo.errors import OAUTH_APP_ERRORS, ErrorAction, action_for, describe


class ZaloAPIError(Exception):
    """Zalo refused a request, or could not be reached (``code`` is None then)."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        action: ErrorAction,
        sent: bool,
        answer: dict | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.action = action
        #: True when the request may have reached Zalo (timeouts, resets after sending):
        #: a send might have been accepted even though we got no answer.
        self.sent = sent
        #: Zalo's JSON answer when there was one, and for a send the request (path, body)
        #: it answers: the message log's timeline shows both.
        self.answer = answer
        self.request: tuple[str, dict] | None = None


class ZaloGrantRejected(ZaloAPIError):
    """Zalo's OAuth server refused the refresh token or authorization code: the OA must be
    connected again (the refresh token was used, expired or revoked; the code is bad)."""


@dataclass(frozen=True)
class SendResult:
    msg_id: str
    sent_time_ms: int | None
    daily_quota: int | None
    remaining_quota: int | None
    #: Zalo's JSON answer and the request it answered (path, body), as the message log's
    #: timeline shows them.
    answer: dict | None = field(default=None, compare=False, repr=False)
    request: tuple[str, dict] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class JourneyToken:
    """A ZNS Journey token Zalo issued (``POST /journey/get-token``) and its journey's id."""

    token: str
    journey_id: str

    def __repr__(self) -> str:  # the token is a credential: never in logs or tracebacks
        return f"JourneyToken(journey_id={self.journey_id!r})"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int

    def __repr__(self) -> str:  # never leak tokens into logs or tracebacks
        return f"TokenPair(expires_in={self.expires_in})"


def as_int(value: Any) -> int | None:
    """Zalo sends numbers as strings or numbers, depending on the endpoint and era."""
    if value is None or value == "":
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


#: The OA's sending quality as ``GET /quality`` words it (zns-api.md §6), best first;
#: ``UNDEFINED``: too few messages to judge.
QUALITY_LEVELS = ("HIGH", "MEDIUM", "LOW", "UNDEFINED")


def quality_level(value: Any) -> str:
    """One of :data:`QUALITY_LEVELS`, whatever the case and spaces, or ``""`` when Zalo gave
    none of them (missing, null, a number, an unknown word): never a level it did not say."""
    word = value.strip().upper() if isinstance(value, str) else ""
    return word if word in QUALITY_LEVELS else ""


def hash_phone(phone: str) -> str:
    """SHA-256 hex of the normalized ``84…`` number, as ``/message/template/hashphone``
    wants."""
    return hashlib.sha256(phone.encode("ascii")).hexdigest()


def appsecret_proof(app_secret: str, access_token: str) -> str:
    """Lowercase hex HMAC-SHA256 of the access token, keyed by the app secret (§1)."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def quota_echo(data: dict) -> tuple[int | None, int | None]:
    """(dailyQuota, remainingQuota) from a send answer, whichever way Zalo shaped it:
    ``data.quota.{dailyQuota,remainingQuota}`` as strings or numbers (zns-api.md §2.2), the
    same keys directly in ``data``, or snake_case; absent in development mode."""
    for source in (data.get("quota"), data):
        if not isinstance(source, dict):
            continue
        daily = as_int(source.get("dailyQuota", source.get("daily_quota")))
        remaining = as_int(source.get("remainingQuota", source.get("remaining_quota")))
        if daily is not None or remaining is not None:
            return daily, remaining
    return None, None


#: Zalo's ZNS API and its OA API (``/v2.0/oa/getoa``), on different hosts.
ZNS_API_HOST = "business.openapi.zalo.me"
OA_API_BASE_URL = "https://openapi.zalo.me"


def oa_api_base_url(api_base_url: str) -> str:
    """Where the OA API is: Zalo's own host while ``API_BASE_URL`` is Zalo's, else
    ``API_BASE_URL`` itself (the sandbox, or a proxy, serves both)."""
    return OA_API_BASE_URL if ZNS_API_HOST in api_base_url else api_base_url


class ZaloClient:
    def __init__(
        self,
        *,
        api_base_url: str,
        oauth_base_url: str,
        oa_api_base_url: str = "",
        app_id: str = "",
        app_secret: str = "",
        timeout: tuple[float, float] = (3.05, 15.0),
    ):
        self.api_base_url = api_base_url.rstrip("/")
        self.oauth_base_url = oauth_base_url.rstrip("/")
        self.oa_api_base_url = (oa_api_base_url or api_base_url).rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> ZaloClient:
        return cls(
            api_base_url=app_settings.API_BASE_URL,
            oauth_base_url=app_settings.OAUTH_BASE_URL,
            oa_api_base_url=oa_api_base_url(app_settings.API_BASE_URL),
            app_id=app_settings.APP_ID,
            app_secret=app_settings.APP_SECRET,
            timeout=app_settings.REQUEST_TIMEOUT,
        )

    # -- ZNS API ---------------------------------------------------------------------

    def send_template(
        self,
        *,
        access_token: str,
        phone: str,
        template_id: str,
        data: dict[str, str],
        tracking_id: str,
        development: bool = False,
        hashed: bool = False,
        journey_token: str | None = None,
    ) -> SendResult:
        """``hashed``: send to ``/message/template/hashphone`` with ``hash_phone`` (the SHA-256
        of the normalized phone) instead of the phone itself. ``journey_token``: send under
        that ZNS Journey (a header, like the access token: never in the request kept)."""
        path, body = self.send_template_request(
            phone=phone,
            template_id=template_id,
            data=data,
            tracking_id=tracking_id,
            development=development,
            hashed=hashed,
        )
        extra = {"journey_token": journey_token} if journey_token else {}
        try:
            payload = self._call("POST", path, access_token, json=body, headers=extra)
        except ZaloAPIError as exc:
            exc.request = (path, body)
            raise
        result = payload.get("data") or {}
        if not isinstance(result, dict):
            result = {}
        daily, remaining = quota_echo(result)
        if not result.get("msg_id"):
            error = ZaloAPIError(
                "Zalo reported success without a msg_id",
                action=ErrorAction.RETRY,
                sent=True,
                answer=payload,
            )
            error.request = (path, body)
            raise error
        return SendResult(
            msg_id=str(result["msg_id"]),
            sent_time_ms=as_int(result.get("sent_time")),
            daily_quota=daily,
            remaining_quota=remaining,
            answer=payload,
            request=(path, body),
        )

    @staticmethod
    def send_template_request(
        *,
        phone: str,
        template_id: str,
        data: dict[str, str],
        tracking_id: str,
        development: bool = False,
        hashed: bool = False,
    ) -> tuple[str, dict[str, Any]]:
        """The path and JSON body of a send (the access token goes in a header, not here)."""
        body: dict[str, Any] = {
            "template_id": str(template_id),
            "template_data": data,
            "tracking_id": tracking_id,
        }
        if hashed:
            body = {"hash_phone": hash_phone(phone), **body}
        else:
            body = {"phone": phone, **body}
        if development:
            body["mode"] = "development"
        return ("/message/template/hashphone" if hashed else "/message/template"), body

    def journey_token(self, *, access_token: str, phone: str, token_type: str) -> JourneyToken:
        """A new ZNS Journey token of ``token_type`` for ``phone`` (zns-api.md §2)."""
        body = {"phone": phone, "token_type": token_type}
        data = self._call("POST", "/journey/get-token", access_token, json=body).get("data")
        data = data if isinstance(data, dict) else {}
        if not data.get("token"):
            raise ZaloAPIError(
                "Zalo answered without a journey token", action=ErrorAction.RETRY, sent=True
            )
        return JourneyToken(token=str(data["token"]), journey_id=str(data.get("journey_id") or ""))

    def check_journey_token(self, *, access_token: str, journey_token: str) -> dict:
        """What Zalo knows of a journey token: ``journey_id``, ``tokenType``, ``createdAt``,
        ``expiredAt`` (epoch ms, as strings); -148 unknown, -150 expired."""
        extra = {"journey_token": journey_token}
        data = self._call("GET", "/journey/check-token", access_token, headers=extra).get("data")
        return dict(data) if isinstance(data, dict) else {}  # like quality(): no object, no data

    def list_templates(
        self, *, access_token: str, offset: int = 0, limit: int = 100, status: int | None = None
    ) -> tuple[list[dict], int | None]:
        """One page of ``/template/all``; ``status`` is Zalo's number (1 = ENABLE ...)."""
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if status is not None:
            params["status"] = int(status)
        payload = self._call("GET", "/template/all", access_token, params=params)
        total = as_int((payload.get("metadata") or {}).get("total"))
        return list(payload.get("data") or []), total

    def template_info(self, *, access_token: str, template_id: str) -> dict:
        payload = self._call(
            "GET", "/template/info/v2", access_token, params={"template_id": template_id}
        )
        return dict(payload.get("data") or {})

    def quota(self, *, access_token: str) -> dict:
        return dict(self._call("GET", "/message/quota", access_token).get("data") or {})

    def quality(self, *, access_token: str) -> dict[str, str]:
        """``GET /quality``: the OA's sending quality over the last 48 hours (``current``)
        and 7 days (``seven_day``), each a :data:`QUALITY_LEVELS` word or ``""``; Zalo's
        camelCase keys, or snake_case."""
        data = self._call("GET", "/quality", access_token).get("data")
        data = data if isinstance(data, dict) else {}
        return {
            "current": quality_level(data.get("oaCurrentQuality", data.get("oa_current_quality"))),
            "seven_day": quality_level(data.get("oa7dayQuality", data.get("oa_7day_quality"))),
        }

    def message_status(self, *, access_token: str, msg_id: str, phone: str = "") -> dict:
        params = {"message_id": msg_id}
        if phone:
            params["phone"] = phone
        return dict(
            self._call("GET", "/message/status", access_token, params=params).get("data") or {}
        )

    def oa_info(self, *, access_token: str) -> dict:
        """``GET /v2.0/oa/getoa`` of Zalo's OA API: the OA this token belongs to (``oa_id``,
        ``name``…). How the connect flow learns which OA was connected: the callback URL's
        ``oa_id`` is whatever the browser brought back."""
        answer = self._call("GET", "/v2.0/oa/getoa", access_token, base=self.oa_api_base_url)
        return dict(answer.get("data") or {})

    # -- OAuth v4 --------------------------------------------------------------------

    def permission_url(self, *, redirect_uri: str, code_challenge: str, state: str) -> str:
        """Where an OA admin grants this app access (OAuth v4 with PKCE, S256)."""
        query = urlencode(
            {
                "app_id": self.app_id,
                "redirect_uri": redirect_uri,
                "code_challenge": code_challenge,
                "state": state,
            }
        )
        return f"{self.oauth_base_url}/v4/oa/permission?{query}"

    def refresh_token(self, refresh_token: str) -> TokenPair:
        """Exchange a (single-use) refresh token for a new pair."""
        return self._token_request(
            {"refresh_token": refresh_token, "app_id": self.app_id, "grant_type": "refresh_token"}
        )

    def exchange_code(self, code: str, code_verifier: str) -> TokenPair:
        return self._token_request(
            {
                "code": code,
                "app_id": self.app_id,
                "grant_type": "authorization_code",
                "code_verifier": code_verifier,
            }
        )

    def _token_request(self, form: dict[str, str]) -> TokenPair:
        url = f"{self.oauth_base_url}/v4/oa/access_token"
        headers = {"secret_key": self.app_secret}
        payload = self._http("POST", url, headers=headers, data=form)
        if payload.get("access_token") and payload.get("refresh_token"):
            return TokenPair(
                access_token=str(payload["access_token"]),
                refresh_token=str(payload["refresh_token"]),
                expires_in=as_int(payload.get("expires_in")) or 90000,
            )
        code = as_int(payload.get("error"))
        # zns-api.md §4: a refusal is HTTP 200 with a negative ``error`` and its words, or
        # with only ``error_name`` / ``error_reason`` / ``error_description`` (no number,
        # or a word where the number goes). Either is Zalo's "no", never a hiccup.
        words = [payload.get(key) for key in ("error_name", "error_reason", "error_description")]
        if code is None and isinstance(payload.get("error"), str):
            words.insert(0, payload["error"])
        words = [str(w).strip() for w in words if w not in (None, "") and str(w).strip()]
        reason = ": ".join(dict.fromkeys(words)) or None
        if (code is None or code >= 0) and reason is None:
            raise ZaloAPIError(
                "Zalo answered the token request without a token or an error",
                action=ErrorAction.RETRY,
                sent=True,
            )
        code = code if code is not None and code < 0 else None
        if code in OAUTH_APP_ERRORS:
            raise ZaloAPIError(
                f"Zalo refused the token request ({code}): {OAUTH_APP_ERRORS[code]}",
                code=code,
                action=ErrorAction.CONFIG,
                sent=True,
            )
        raise ZaloGrantRejected(
            f"Zalo refused the token request ({code if code is not None else 'no code'}): {reason}",
            code=code,
            action=ErrorAction.CONFIG,
            sent=True,
        )

    # -- transport -------------------------------------------------------------------

    def _call(
        self, method: str, path: str, access_token: str, *, base: str = "", **kwargs: Any
    ) -> dict:
        # ``headers``: more than the access token (a send's ``journey_token``).
        headers = {"access_token": access_token, **kwargs.pop("headers", {})}
        if self.app_secret:
            # Zalo checks it when the app enables "appsecret_proof" (-1241 otherwise).
            headers["appsecret_proof"] = appsecret_proof(self.app_secret, access_token)
        payload = self._http(method, (base or self.api_base_url) + path, headers=headers, **kwargs)
        code = as_int(payload.get("error"))
        if code == 0:
            return payload
        if code is None:
            raise ZaloAPIError(
                f"Zalo answered {path} without an error code",
                action=ErrorAction.RETRY,
                sent=True,
                answer=payload,
            )
        message = str(payload.get("message") or describe(code))
        raise ZaloAPIError(
            f"Zalo error {code}: {message}",
            code=code,
            action=action_for(code),
            sent=True,
            answer=payload,
        )

    def _http(self, method: str, url: str, **kwargs: Any) -> dict:
        try:
            response = session().request(method, url, timeout=self.timeout, **kwargs)
        except requests.ConnectTimeout as exc:
            raise ZaloAPIError(
                f"Connecting to Zalo timed out ({url})", action=ErrorAction.RETRY, sent=False
            ) from exc
        except requests.ConnectionError as exc:
            raise ZaloAPIError(
                f"Connection to Zalo failed ({url})",
                action=ErrorAction.RETRY,
                sent=may_have_reached_server(exc),
            ) from exc
        except requests.Timeout as exc:
            raise ZaloAPIError(
                f"Zalo did not answer in time ({url})", action=ErrorAction.RETRY, sent=True
            ) from exc
        if response.status_code >= 500:
            raise ZaloAPIError(
                f"Zalo answered HTTP {response.status_code} ({url})",
                action=ErrorAction.RETRY,
                sent=True,
            )
        try:
            payload = response.json()
        except ValueError as exc:
            raise ZaloAPIError(
                f"Zalo answered HTTP {response.status_code} with a body that is not JSON ({url})",
                action=ErrorAction.RETRY,
                sent=True,
            ) from exc
        if not isinstance(payload, dict):
            raise ZaloAPIError(
                f"Zalo answered with unexpected JSON ({url})", action=ErrorAction.RETRY, sent=True
            )
        return payload
