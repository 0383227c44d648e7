"""A local fake of Zalo's ZNS and OAuth HTTP APIs, for tests and the demo.

    from zns_notify.sandbox import SandboxServer

    with SandboxServer(webhook_url="http://127.0.0.1:8000/zns/webhook/") as server:
        tokens = server.mint_tokens()
        ...  # point API_BASE_URL and OAUTH_BASE_URL at server.url

Plain Python + requests: nothing here imports Django.
"""

from __future__ import annotations

from .config import SandboxConfig
from .server import SandboxServer
from .state import SandboxState

__all__ = ["SandboxConfig", "SandboxServer", "SandboxState"]
