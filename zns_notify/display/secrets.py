"""What an operator never reads of a message: a one-time code (zns_notify.otp).

The code is in the message's parameters in clear, because Zalo needs it there, and in
the request body each attempt records. Every display an operator reads (the log's
detail page, the API's messages and timelines) passes through here, and shows every
parameter of a code's message as :data:`HIDDEN`, whoever reads it, superusers included:
whoever can read a code can take over the customer's sign-up or login with it.

Every parameter, not only the code's: the code's name comes from the settings at the
time of the send, which may have changed since, and an authentication template's other
parameters (a validity in minutes) tell an operator nothing they need.
"""

from __future__ import annotations

from typing import Any

from zns_notify.models.otp import HIDDEN_CODE as HIDDEN
from zns_notify.models.otp import holds_code


def shown_params(message, params: Any) -> Any:
    """``params`` (a message's, or the ``template_data`` of a request it made) as an
    operator may read them: unchanged, or every value hidden for a code's message."""
    if not holds_code(message) or not isinstance(params, dict):
        return params
    return {name: HIDDEN for name in params}


def shown_attempt(message, payload: Any) -> Any:
    """An attempt's recorded ``{"request": {"path", "body"}, "answer"}`` with the body's
    ``template_data`` passed through :func:`shown_params`; a copy, the stored one intact."""
    if not holds_code(message) or not isinstance(payload, dict):
        return payload
    request = payload.get("request")
    body = request.get("body") if isinstance(request, dict) else None
    if not isinstance(body, dict) or "template_data" not in body:
        return payload
    body = {**body, "template_data": shown_params(message, body["template_data"])}
    return {**payload, "request": {**request, "body": body}}
