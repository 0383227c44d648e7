"""The sandbox's own endpoints under /_sandbox/: inspection, knobs and the phone page."""

from __future__ import annotations

import json
from typing import Any

from zns_notify.sandbox.phone_page import render_index, render_phone, render_preview
from zns_notify.sandbox.protocol import Request, Response, bad_knob, html_response, json_response
from zns_notify.sandbox.state import SandboxState
from zns_notify.sandbox.validation import normalize_hash, normalize_phone


def _json_body(request: Request) -> dict[str, Any] | None:
    """The body as a JSON object; an empty body counts as ``{}``; None if malformed."""
    if not request.body.strip():
        return {}
    try:
        value = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def index(state: SandboxState, request: Request) -> Response:
    """GET /_sandbox: who this fake is and where to look."""
    base = request.base_url
    return json_response(
        {
            "name": "Zalo ZNS sandbox",
            "config": state.config.public(),
            "links": {
                name: f"{base}/_sandbox/{name}"
                for name in (
                    "messages",
                    "sms",
                    "tracking",
                    "tokens",
                    "webhooks",
                    "faults",
                    "config",
                    "phone",
                    "events",
                    "journeys",
                )
            },
        }
    )


def messages(state: SandboxState, request: Request) -> Response:
    """GET /_sandbox/messages[?phone=&tracking_id=]"""
    found = state.messages(request.query.get("phone"), request.query.get("tracking_id"))
    return json_response({"count": len(found), "messages": found})


def sms(state: SandboxState, request: Request) -> Response:
    """GET /_sandbox/sms[?phone=]: every SMS the eSMS mode accepted, oldest first."""
    raw = request.query.get("phone")
    phone = normalize_phone(raw) if raw else None
    if raw and phone is None:
        return bad_knob("phone is not a Vietnamese mobile number")
    found = [record.as_dict() for record in state.sms.records(phone)]
    return json_response({"count": len(found), "sms": found})


def tracking(state: SandboxState, request: Request) -> Response:
    """GET /_sandbox/tracking: accepted sends per tracking_id, how many repeat, and when
    each one's first accepted send arrived."""
    return json_response(state.tracking())


def tokens(state: SandboxState, request: Request) -> Response:
    """GET /_sandbox/tokens: counts and events (tokens masked)."""
    return json_response(state.tokens.history())


def mint(state: SandboxState, request: Request) -> Response:
    """POST /_sandbox/tokens/mint: a fresh pair, standing in for Zalo's API Explorer."""
    return json_response(state.tokens.mint())


def webhooks(state: SandboxState, request: Request) -> Response:
    """GET /_sandbox/webhooks: every receipt post and its attempts."""
    records = state.webhook_log.snapshot()
    return json_response({"count": len(records), "webhooks": records})


def get_faults(state: SandboxState, request: Request) -> Response:
    return json_response(state.faults.faults.as_dict())


def post_faults(state: SandboxState, request: Request) -> Response:
    """POST /_sandbox/faults: change knobs; ``"expire_access_tokens": true`` is an action."""
    body = _json_body(request)
    if body is None:
        return bad_knob("body must be a JSON object")
    expire = body.pop("expire_access_tokens", False)
    if not isinstance(expire, bool):
        # Checked before any knob changes: a rejected request changes nothing.
        return bad_knob("expire_access_tokens must be true or false")
    try:
        faults = state.faults.update(body)
    except ValueError as err:
        return bad_knob(str(err))
    result = faults.as_dict()
    if expire:
        result["expired_access_tokens"] = state.tokens.expire_access_tokens()
    return json_response(result)


def get_config(state: SandboxState, request: Request) -> Response:
    return json_response(
        {
            **state.config.public(),
            "access_token_ttl": state.tokens.access_token_ttl,
            "quota": state.quota(),
        }
    )


def post_config(state: SandboxState, request: Request) -> Response:
    """POST /_sandbox/config: webhook_url, receipt_delay, receipt_ratio, daily_quota,
    remaining_quota, access_token_ttl, admin_phones, unreachable_phones."""
    body = _json_body(request)
    if body is None:
        return bad_knob("body must be a JSON object")
    try:
        state.update_config(body)
    except ValueError as err:
        return bad_knob(str(err))
    return get_config(state, request)


def post_template(state: SandboxState, request: Request) -> Response:
    """POST /_sandbox/templates {"template_id", "status"}: e.g. disable a template."""
    body = _json_body(request) or {}
    try:
        template = state.set_template_status(
            str(body.get("template_id", "")), str(body.get("status", ""))
        )
    except KeyError:
        return bad_knob("unknown template_id")
    except ValueError as err:
        return bad_knob(str(err))
    return json_response(template.summary())


def post_event(state: SandboxState, request: Request) -> Response:
    """POST /_sandbox/events: make Zalo send one of its other webhooks, signed like a receipt.

    - ``{"event_name": "change_template_status", "template_id", "status", "reason"?}`` also
      changes the template's status here;
    - ``{"event_name": "change_template_quality", "template_id", "quality"}``;
    - ``{"event_name": "change_oa_daily_quota", "daily_quota"}`` also changes the quota here;
    - ``{"event_name": "user_feedback", "msg_id", "rate"?, "note"?, "feedbacks"?}``;
    - ``{"payload": {...}}``: any event as given (app_id and timestamp are added).
    ``"delay"`` (seconds) postpones the post.
    """
    body = _json_body(request)
    if body is None:
        return bad_knob("body must be a JSON object")
    try:
        payload = _event_payload(state, body)
        delay = body.get("delay", 0)
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= 3600:
            raise ValueError("delay must be a number of seconds between 0 and 3600")
        if state.event_poster is None:
            raise ValueError("this sandbox posts no webhooks")
        record = state.event_poster(payload, float(delay))
        if record is None:
            raise ValueError("no webhook_url configured")
    except KeyError as err:
        return bad_knob(f"unknown {err.args[0]}")
    except ValueError as err:
        return bad_knob(str(err))
    return json_response(record)


def _event_payload(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    config = state.config
    if isinstance(body.get("payload"), dict):
        return dict(body["payload"])
    name = body.get("event_name")
    if name == "change_template_status":
        template_id = str(body.get("template_id", ""))
        template = state.templates.get(template_id)
        if template is None:
            raise KeyError("template_id")
        previous = template.status
        new = state.set_template_status(template_id, str(body.get("status", ""))).status
        return {
            "oa_id": config.oa_id,
            "event_name": name,
            "template_id": template_id,
            "status": {"prev_status": previous, "new_status": new},
            "reason": str(body.get("reason", "Template đã được cập nhật")),
        }
    if name == "change_template_quality":
        template_id = str(body.get("template_id", ""))
        if template_id not in state.templates:
            raise KeyError("template_id")
        quality = str(body.get("quality", ""))
        if quality not in ("HIGH", "MEDIUM", "LOW", "UNDEFINED"):
            raise ValueError("quality must be HIGH, MEDIUM, LOW or UNDEFINED")
        return {
            "oa_id": config.oa_id,
            "event_name": name,
            "template_id": template_id,
            "quality": quality,
        }
    if name == "change_oa_daily_quota":
        previous = config.daily_quota
        state.update_config({"daily_quota": body.get("daily_quota")})
        return {
            "event_name": name,
            "oaId": config.oa_id,
            "quota": {"prev_value": previous, "new_value": state.config.daily_quota},
        }
    if name == "user_feedback":
        msg_id = str(body.get("msg_id", ""))
        message = state.get_message(msg_id)
        if message is None:
            raise KeyError("msg_id")
        return {
            "event_name": name,
            "oa_id": config.oa_id,
            "message": {
                "rating_type": "csat",
                "option": "five_stars",
                "note": str(body.get("note", "")),
                "rate": body.get("rate", 5),
                "submit_time": str(state.now_ms()),
                "msg_id": msg_id,
                "feedbacks": list(body.get("feedbacks", [])),
                "tracking_id": message.tracking_id or "",
            },
        }
    raise ValueError(
        "event_name must be change_template_status, change_template_quality, "
        "change_oa_daily_quota or user_feedback (or give a payload)"
    )


def reset(state: SandboxState, request: Request) -> Response:
    """POST /_sandbox/reset [{"tokens": true}]: forget messages, quota use, faults."""
    body = _json_body(request)
    if body is None:
        return bad_knob("body must be a JSON object")
    state.reset(tokens=bool(body.get("tokens")))
    return json_response({"reset": True, "tokens_cleared": bool(body.get("tokens"))})


def phone(state: SandboxState, request: Request) -> Response:
    """GET /_sandbox/phone[?phone=84…]: the customer's view, or the list of phones."""
    raw = request.query.get("phone")
    if not raw:
        return html_response(render_index(state))
    recipient = normalize_phone(raw) or normalize_hash(raw)
    if recipient is None:
        return html_response(
            render_index(state, error=f"Số điện thoại không hợp lệ: {raw}"), status=400
        )
    return html_response(render_phone(state, recipient))


def preview(state: SandboxState, request: Request) -> Response:
    """GET /_sandbox/preview?template_id=: a template filled with its sample data."""
    template = state.templates.get(request.query.get("template_id", ""))
    if template is None:
        return html_response(render_index(state, error="Không tìm thấy mẫu tin"), status=404)
    return html_response(render_preview(state, template))


ROUTES = [
    ("GET", "/_sandbox", index),
    ("GET", "/_sandbox/messages", messages),
    ("GET", "/_sandbox/sms", sms),
    ("GET", "/_sandbox/tracking", tracking),
    ("GET", "/_sandbox/tokens", tokens),
    ("POST", "/_sandbox/tokens/mint", mint),
    ("GET", "/_sandbox/webhooks", webhooks),
    ("GET", "/_sandbox/faults", get_faults),
    ("POST", "/_sandbox/faults", post_faults),
    ("GET", "/_sandbox/config", get_config),
    ("POST", "/_sandbox/config", post_config),
    ("POST", "/_sandbox/templates", post_template),
    ("POST", "/_sandbox/events", post_event),
    ("POST", "/_sandbox/reset", reset),
    ("GET", "/_sandbox/phone", phone),
    ("GET", "/_sandbox/preview", preview),
]
