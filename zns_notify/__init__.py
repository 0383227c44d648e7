"""Zalo Notification Service messages on order events, for Django shops.

Layout (docs/architecture.md): Django's entry points sit here (apps, conf, exceptions,
signals, urls, broker, tasks, checks); every other module lives in one folder per domain.
The dependency rule, bottom to top: lib, conf, exceptions | zalo | sms | models | signals |
rendering | account | policy | events | fallback | receipts | sending | display | log |
bindings | reports | admin, api, management, sandbox | the entry points. A folder imports
only from itself and the folders before it; tests/test_layout.py checks it.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.2.0"

__all__ = ["__version__", "notify", "opt_in", "opt_out"]


def __getattr__(name: str) -> Any:
    # notify and the opt-outs live with the models; importing them lazily keeps
    # `import zns_notify` free of Django setup, which packaging tools and settings rely on.
    if name == "notify":
        from zns_notify.events.notify import notify  # lazy: see above

        return notify
    if name in ("opt_out", "opt_in"):
        from zns_notify.policy import opt_outs as module  # lazy: see above

        return getattr(module, name)
    raise AttributeError(f"module 'zns_notify' has no attribute {name!r}")
