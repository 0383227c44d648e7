"""Routing: every handler of :mod:`zns_notify.sandbox.handlers` by (method, path), any
failure turned into Zalo's envelope."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from zns_notify.sandbox import codes
from zns_notify.sandbox.handlers import routes
from zns_notify.sandbox.protocol import Handler, Request, Response, envelope, json_response
from zns_notify.sandbox.records import fail
from zns_notify.sandbox.state import SandboxState

logger = logging.getLogger(__name__)

_SEGMENT = re.compile(r"<([a-z_]+)>")


def _pattern(path: str) -> re.Pattern[str]:
    """``/a/<name>/b`` as a regex whose group ``name`` takes one path segment."""
    parts = _SEGMENT.split(path)  # literal, name, literal, name, …, literal
    return re.compile(
        "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    )


class SandboxApp:
    """Maps (method, path) to handlers and turns any failure into an envelope."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.routes: dict[str, dict[str, Handler]] = {}
        # Paths with <name> segments (e.g. /_sandbox/journeys/<journey_id>/expire).
        self.patterns: dict[str, tuple[re.Pattern[str], dict[str, Handler]]] = {}
        for method, path, handler in routes():
            if _SEGMENT.search(path):
                pattern = self.patterns.setdefault(path, (_pattern(path), {}))
                pattern[1][method] = handler
            else:
                self.routes.setdefault(path, {})[method] = handler

    def handle(self, request: Request) -> Response:
        # Zalo posts event_journey_time_out when a journey ends; the sandbox notices a token
        # that ran out by its clock on the next request, as lazily as its other clocks.
        for journey in self.state.journeys.lapsed():
            self.state.post_journey_event(journey, "event_journey_time_out")
        path = request.path.rstrip("/") or "/"
        methods = self.routes.get(path)
        for pattern, candidates in self.patterns.values() if methods is None else ():
            match = pattern.fullmatch(path)
            if match:
                methods, request = candidates, replace(request, params=match.groupdict())
                break
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
