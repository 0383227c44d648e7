"""Zalo's ZNS endpoints on business.openapi.zalo.me (zns-api.md §2, §5, §6, §7)."""

from __future__ import annotations

from urllib.parse import quote

from zns_notify.sandbox import codes
from zns_notify.sandbox.catalogue import STATUS_BY_NUMBER, Template
from zns_notify.sandbox.protocol import (
    Request,
    Response,
    envelope,
    parse_json_object,
    requires_token,
)
from zns_notify.sandbox.records import Reply, fail
from zns_notify.sandbox.state import SandboxState

MAX_LIMIT = 100


def _send(state: SandboxState, request: Request, *, hashed: bool) -> Response:
    body, problem = parse_json_object(request.body)
    if problem or body is None:
        return envelope(problem or fail(codes.BODY_EMPTY))
    return envelope(
        state.send(
            body,
            hashed=hashed,
            arrived=request.received_at,
            journey_token=request.headers.get("journey_token"),
        )
    )


@requires_token
def send_template(state: SandboxState, request: Request) -> Response:
    """POST /message/template (``"mode": "development"`` in the body for dev mode)."""
    return _send(state, request, hashed=False)


@requires_token
def send_template_hashphone(state: SandboxState, request: Request) -> Response:
    """POST /message/template/hashphone: ``hash_phone`` = sha256 hex of the 84… number."""
    return _send(state, request, hashed=True)


@requires_token
def message_status(state: SandboxState, request: Request) -> Response:
    """GET /message/status?message_id=…[&phone=…]"""
    return envelope(state.status(request.query.get("message_id"), request.query.get("phone")))


@requires_token
def message_quota(state: SandboxState, request: Request) -> Response:
    """GET /message/quota (Zalo's example answers a lowercase "success" here)."""
    return envelope(Reply(0, "success", state.quota()))


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int | None:
    raw = request.query.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        return None
    return int(raw)


@requires_token
def template_list(state: SandboxState, request: Request) -> Response:
    """GET /template/all?offset=&limit=&status= (status is numeric: 1 ENABLE … 5 DELETE)."""
    status = _int_param(request, "status", 0, 1, len(STATUS_BY_NUMBER))
    if status is None:
        return envelope(fail(codes.PARAMETER_INVALID, "Invalid status"))
    offset = _int_param(request, "offset", 0, 0, 10**9)
    if offset is None:
        return envelope(fail(codes.PARAMETER_INVALID, "Invalid offset"))
    limit = _int_param(request, "limit", MAX_LIMIT, 1, MAX_LIMIT)
    if limit is None:
        return envelope(fail(codes.PARAMETER_INVALID, "Invalid limit"))
    templates = sorted(state.templates.values(), key=lambda t: t.template_id)
    if status:
        templates = [t for t in templates if t.status == STATUS_BY_NUMBER[status]]
    page = [t.summary() for t in templates[offset : offset + limit]]
    return envelope(Reply(0, "Success", page), metadata={"total": len(templates)})


def _template(state: SandboxState, request: Request) -> Template | None:
    return state.templates.get(request.query.get("template_id", ""))


@requires_token
def template_info(state: SandboxState, request: Request) -> Response:
    """GET /template/info/v2?template_id= (and the older /template/info)."""
    template = _template(state, request)
    if template is None:
        return envelope(fail(codes.TEMPLATE_ID_INVALID))
    preview = f"{request.base_url}/_sandbox/preview?template_id={quote(template.template_id)}"
    return envelope(Reply(0, "Success", template.detail(preview)))


@requires_token
def template_sample_data(state: SandboxState, request: Request) -> Response:
    """GET /template/sample-data?template_id="""
    template = _template(state, request)
    if template is None:
        return envelope(fail(codes.TEMPLATE_ID_INVALID))
    return envelope(Reply(0, "Success", template.sample_data()))


ROUTES = [
    ("POST", "/message/template", send_template),
    ("POST", "/message/template/hashphone", send_template_hashphone),
    ("GET", "/message/status", message_status),
    ("GET", "/message/quota", message_quota),
    ("GET", "/template/all", template_list),
    ("GET", "/template/info/v2", template_info),
    ("GET", "/template/info", template_info),
    ("GET", "/template/sample-data", template_sample_data),
]
