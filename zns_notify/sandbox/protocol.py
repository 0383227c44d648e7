"""The sandbox's requests and responses, and the helpers its handlers answer with,
independent of the HTTP server that feeds them (:mod:`zns_notify.sandbox.server`) and of the
routing (:mod:`zns_notify.sandbox.app`).

Zalo answers application errors with HTTP 200 and a ``{"error", "message", "data"}``
envelope; the sandbox does the same for every Zalo path. Its own ``/_sandbox/`` endpoints
answer plain JSON objects (and 400 for a bad knob), since no Zalo client reads them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from zns_notify.sandbox import codes
from zns_notify.sandbox.records import Reply, fail
from zns_notify.sandbox.state import SandboxState


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes
    base_url: str  # scheme://host:port the client used, for absolute links
    #: When the request arrived (the state's clock, epoch seconds), before any latency
    #: fault delays its answer; None when no server read it (handlers called directly).
    received_at: float | None = None
    #: The ``<name>`` segments of a patterned route's path (sandbox/app.py).
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)


Handler = Callable[[SandboxState, Request], Response]


def json_response(obj: Any, status: int = 200) -> Response:
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status=status, body=body)


def envelope(reply: Reply, **extra: Any) -> Response:
    return json_response(
        {"error": reply.error, "message": reply.message, "data": reply.data, **extra}
    )


def bad_knob(message: str) -> Response:
    return json_response({"error": codes.PARAMETER_INVALID, "message": message}, status=400)


def html_response(html: str, status: int = 200) -> Response:
    return Response(
        status=status, body=html.encode("utf-8"), content_type="text/html; charset=utf-8"
    )


def parse_json_object(body: bytes) -> tuple[dict[str, Any] | None, Reply | None]:
    """The body as a JSON object, or the Zalo error for an empty (-121) or bad (-122) one."""
    if not body.strip():
        return None, fail(codes.BODY_EMPTY)
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, fail(codes.BODY_NOT_JSON)
    if not isinstance(value, dict):
        return None, fail(codes.BODY_NOT_JSON)
    if not value:
        return None, fail(codes.BODY_EMPTY)
    return value, None


def requires_token(handler: Handler) -> Handler:
    """Zalo checks the ``access_token`` header before anything else (-124)."""

    def wrapper(state: SandboxState, request: Request) -> Response:
        token = request.headers.get("access_token")
        if not state.tokens.is_valid(token):
            return envelope(fail(codes.ACCESS_TOKEN_INVALID))
        if state.config.require_appsecret_proof:
            # The app's "appsecret_proof" toggle (zns-api.md §1):
            # HMAC-SHA256(app secret, token).
            expected = hmac.new(
                state.config.app_secret.encode(), str(token).encode(), hashlib.sha256
            ).hexdigest()
            if not hmac.compare_digest(request.headers.get("appsecret_proof") or "", expected):
                return envelope(fail(codes.APPSECRET_PROOF_INVALID))
        return handler(state, request)

    wrapper.__name__ = handler.__name__
    wrapper.__doc__ = handler.__doc__
    return wrapper
