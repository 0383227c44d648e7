"""Endpoint handlers: Zalo's ZNS API, its OAuth host, and the sandbox's own tools."""

from __future__ import annotations

from ..app import Handler
from . import dev, oauth, zns


def routes() -> list[tuple[str, str, Handler]]:
    """Every (method, path, handler) the sandbox serves."""
    return [*zns.ROUTES, *oauth.ROUTES, *dev.ROUTES]
