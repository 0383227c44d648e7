"""Endpoint handlers: Zalo's ZNS API (and its OA quality), its OAuth host, eSMS's SMS API,
the sandbox's tools."""

from __future__ import annotations

from zns_notify.sandbox.handlers import dev, esms, journey, oauth, quality, zns
from zns_notify.sandbox.protocol import Handler


def routes() -> list[tuple[str, str, Handler]]:
    """Every (method, path, handler) the sandbox serves."""
    return [*zns.ROUTES, *journey.ROUTES, *quality.ROUTES, *oauth.ROUTES, *esms.ROUTES, *dev.ROUTES]
