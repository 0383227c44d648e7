"""Zalo's OA sending quality endpoint (zns-api.md §6), apart from the send path."""

from __future__ import annotations

from zns_notify.sandbox.protocol import Request, Response, envelope, requires_token
from zns_notify.sandbox.quality import quality_data
from zns_notify.sandbox.records import Reply
from zns_notify.sandbox.state import SandboxState


@requires_token
def oa_quality(state: SandboxState, request: Request) -> Response:
    """GET /quality: ``oaCurrentQuality`` (48 h) and ``oa7dayQuality``."""
    return envelope(Reply(0, "Success", quality_data(state.config)))


ROUTES = [("GET", "/quality", oa_quality)]
