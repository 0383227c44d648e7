"""eSMS.vn's brandname SMS endpoint on the sandbox (sandbox/sms.py has the rules).

eSMS answers application errors with HTTP 200 and a ``CodeResult``; a body it cannot
read gets HTTP 400, as its WCF service does for malformed JSON.
"""

from __future__ import annotations

import json

from zns_notify.sandbox.protocol import Request, Response, json_response
from zns_notify.sandbox.sms import SEND_PATH
from zns_notify.sandbox.state import SandboxState

_DOWN = b"<html><body><h1>503 Service Unavailable</h1></body></html>"


def send_json(state: SandboxState, request: Request) -> Response:
    """POST /MainService.svc/json/SendMultipleMessage_V4_post_json/"""
    if state.faults.faults.sms_down:
        return Response(status=503, body=_DOWN, content_type="text/html; charset=utf-8")
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        body = None
    if not isinstance(body, dict):
        return json_response({"Message": "The request body is not a JSON object."}, status=400)
    return json_response(state.send_sms(body))


ROUTES = [("POST", SEND_PATH, send_json)]
