"""The HTTP plumbing shared by the Zalo client and the SMS providers."""

from __future__ import annotations

import threading

import requests
from urllib3.exceptions import NewConnectionError

from zns_notify import __version__

_local = threading.local()


def session() -> requests.Session:
    """This thread's keep-alive session (``requests.Session`` is not documented thread-safe)."""
    current = getattr(_local, "session", None)
    if current is None:
        current = requests.Session()
        current.headers["User-Agent"] = f"zns-notify/{__version__}"
        _local.session = current
    return current


def may_have_reached_server(exc: requests.ConnectionError) -> bool:
    """A refused connection never reached the server; a reset mid-request may have (the
    send may have happened: an ambiguous outcome)."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return not isinstance(reason, NewConnectionError)
