"""ZNS Journey (zns-api.md §2 journey row): Zalo's ``/journey/get-token`` and
``/journey/check-token``, and the sandbox's journey tools under ``/_sandbox/journeys``.

The send under a token is the normal ``/message/template`` with a ``journey_token`` header
(handlers/zns.py, checked in SandboxState.send).
"""

from __future__ import annotations

from zns_notify.sandbox import codes
from zns_notify.sandbox.journeys import DEFAULT_TOKEN_TYPE, LIFETIME_DAYS
from zns_notify.sandbox.protocol import (
    Request,
    Response,
    bad_knob,
    envelope,
    json_response,
    parse_json_object,
    requires_token,
)
from zns_notify.sandbox.records import Reply, fail
from zns_notify.sandbox.state import SandboxState
from zns_notify.sandbox.validation import normalize_phone


def _issue(state: SandboxState, request: Request) -> Reply:
    body, problem = parse_json_object(request.body)
    if problem or body is None:
        return problem or fail(codes.BODY_EMPTY)
    phone = normalize_phone(body.get("phone"))
    if phone is None:
        return fail(codes.PHONE_INVALID)
    # The majority variant names it token_type; some vendors' examples send tokenType.
    token_type = body.get("token_type", body.get("tokenType"))
    if token_type in (None, ""):
        token_type = DEFAULT_TOKEN_TYPE
    # Any other non-string (a number, a list, an object) names no type Zalo knows.
    if not isinstance(token_type, str) or token_type not in LIFETIME_DAYS:
        return fail(codes.JOURNEY_TOKEN_INVALID, "Invalid token_type")
    # A number that cannot receive ZNS gets no token either, with the code a send would get.
    code = state.config.unreachable_phones.get(phone) or state.faults.faults.get_token_error_code
    if code:
        return fail(code)
    journey = state.journeys.issue(phone, token_type, state.config.oa_id)
    return Reply(
        codes.SUCCESS, "Success", {"token": journey.token, "journey_id": journey.journey_id}
    )


@requires_token
def get_token(state: SandboxState, request: Request) -> Response:
    """POST /journey/get-token {"phone": "84…", "token_type": "token_logistics_7"}"""
    state.journeys.count_request()
    return envelope(_issue(state, request))


@requires_token
def check_token(state: SandboxState, request: Request) -> Response:
    """GET /journey/check-token with the ``journey_token`` header."""
    return envelope(state.journeys.check(request.headers.get("journey_token")))


def journeys(state: SandboxState, request: Request) -> Response:
    """GET /_sandbox/journeys[?phone=]: every token issued, and how many get-token
    requests were answered."""
    raw = request.query.get("phone")
    phone = normalize_phone(raw) if raw else None
    if raw and phone is None:
        return bad_knob("phone is not a Vietnamese mobile number")
    return json_response(state.journeys.snapshot(phone))


def expire(state: SandboxState, request: Request) -> Response:
    """POST /_sandbox/journeys/<journey_id>/expire: the token lapses now (sends and checks
    get -150) and ``event_journey_time_out`` is posted (once)."""
    try:
        journey, record = state.expire_journey(request.params["journey_id"])
    except KeyError:
        return json_response(
            {"error": codes.PARAMETER_INVALID, "message": "unknown journey_id"}, status=404
        )
    return json_response({**journey.as_dict(state.now_ms()), "webhook": record})


ROUTES = [
    ("POST", "/journey/get-token", get_token),
    ("GET", "/journey/check-token", check_token),
    ("GET", "/_sandbox/journeys", journeys),
    ("POST", "/_sandbox/journeys/<journey_id>/expire", expire),
]
