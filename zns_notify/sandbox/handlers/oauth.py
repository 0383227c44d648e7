"""Zalo's OAuth v4 endpoints for Official Accounts (zns-api.md §4), served on the same port,
and the OA API's ``/v2.0/oa/getoa`` that names the OA behind a token.

Point the client's OAuth base URL at the sandbox too: ``{url}/v4/oa/access_token``.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode

from zns_notify.sandbox import codes
from zns_notify.sandbox.protocol import Request, Response, json_response, requires_token
from zns_notify.sandbox.state import SandboxState
from zns_notify.sandbox.tokens import OAuthError

logger = logging.getLogger(__name__)


def access_token(state: SandboxState, request: Request) -> Response:
    """POST /v4/oa/access_token, form-encoded, header ``secret_key`` = app secret."""
    form = dict(request.query)
    try:
        form.update(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        pass  # undecodable body: the missing fields produce the right OAuth error below
    try:
        return json_response(state.tokens.grant(form, request.headers.get("secret_key")))
    except OAuthError as err:
        logger.info("sandbox: token request refused: %s %s", err.code, err.name)
        return json_response(err.as_body())


def _redirect(location: str) -> Response:
    return Response(status=302, headers=[("Location", location)])


def _error_page(request: Request, code: int) -> Response:
    return _redirect(f"{request.base_url}/v4/permission/error?error_code={code}")


def permission(state: SandboxState, request: Request) -> Response:
    """GET /v4/oa/permission: the OA admin "approves" at once and is sent back with a code.

    Like Zalo, a bad request is sent to an error page rather than the callback.
    """
    query = request.query
    if query.get("app_id") != state.config.app_id:
        return _error_page(request, codes.OAUTH_INVALID_APP_ID)
    redirect_uri = query.get("redirect_uri", "")
    if not redirect_uri.startswith(("http://", "https://")):
        return _error_page(request, codes.OAUTH_INVALID_PARAMETER)
    params = {
        "code": state.tokens.issue_code(query.get("code_challenge")),
        "oa_id": state.config.oa_id,
    }
    if "state" in query:
        params["state"] = query["state"]
    separator = "&" if "?" in redirect_uri else "?"
    return _redirect(f"{redirect_uri}{separator}{urlencode(params)}")


def permission_error(state: SandboxState, request: Request) -> Response:
    """GET /v4/permission/error?error_code=… (where Zalo parks a refused consent)."""
    raw = request.query.get("error_code", "")
    code = int(raw) if raw.lstrip("-").isdigit() else codes.OAUTH_INVALID_PARAMETER
    names = {
        codes.OAUTH_INVALID_APP_ID: "Invalid appId",
        codes.OAUTH_INVALID_PARAMETER: "Invalid parameter or redirect uri",
    }
    return json_response(
        {"error": code, "message": names.get(code, "Permission error"), "data": None}
    )


@requires_token
def oa_info(state: SandboxState, request: Request) -> Response:
    """GET /v2.0/oa/getoa (Zalo's OA API, openapi.zalo.me; header ``access_token``): the OA
    the token belongs to, in Zalo's envelope. What the connect flow asks to learn which OA
    was connected."""
    config = state.config
    data = {
        "oa_id": config.oa_id,
        "name": config.oa_name,
        "description": "",
        "oa_alias": "",
        "is_verified": True,
        "oa_type": 2,
        "cate_name": "",
        "num_follower": 0,
        "avatar": "",
        "cover": "",
    }
    return json_response({"error": 0, "message": "Success", "data": data})


ROUTES = [
    ("GET", "/v2.0/oa/getoa", oa_info),
    ("POST", "/v4/oa/access_token", access_token),
    ("GET", "/v4/oa/permission", permission),
    ("GET", "/v4/permission/error", permission_error),
]
