"""Routing: every handler of :mod:`zns_notify.sandbox.handlers` by (method, path), any
failure turned into Zalo's envelope."""

from __future__ import annotations

import logging

from zns_notify.sandbox import codes
from zns_notify.sandbox.handlers import routes
from zns_notify.sandbox.protocol import Handler, Request, Response, envelope, json_response
from zns_notify.sandbox.records import fail
from zns_notify.sandbox.state import SandboxState

logger = logging.getLogger(__name__)


class SandboxApp:
    """Maps (method, path) to handlers and turns any failure into an envelope."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.routes: dict[str, dict[str, Handler]] = {}
        for method, path, handler in routes():
            self.routes.setdefault(path, {})[method] = handler

    def handle(self, request: Request) -> Response:
        methods = self.routes.get(request.path.rstrip("/") or "/")
        if methods is None:
            return json_response(
                {"error": -404, "message": f"Unknown endpoint {request.path}", "data": None},
                status=404,
            )
        handler = methods.get(request.method)
        if handler is None:
            return envelope(fail(codes.METHOD_UNSUPPORTED))
        try:
            return handler(self.state, request)
        except Exception:
            # A bug here must not look like Zalo answering 500; -100 is Zalo's "retry later".
            logger.exception("sandbox: handler %s failed", handler.__name__)
            return envelope(fail(codes.UNKNOWN_ERROR))
