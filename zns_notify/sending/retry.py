"""When a message that could not be sent is tried again, or given up."""

from __future__ import annotations

import datetime as dt

from zns_notify.conf import app_settings
from zns_notify.lib.clock import window_end
from zns_notify.lib.delays import backoff
from zns_notify.zalo.errors import RESCHEDULE_WINDOWS, ErrorAction


def next_attempt(
    action: ErrorAction, code: int | None, attempts: int, now: dt.datetime
) -> dt.datetime | None:
    """The next try, or None when the message should fail now.

    Transient errors (retry, refresh) are bounded by MAX_ATTEMPTS. Reschedules (quota,
    night window, no account connected) are waits, not failures: they do not use up the
    attempts, and wait until the window ends when Zalo's code says when that is.
    """
    if action == ErrorAction.RESCHEDULE:
        window = RESCHEDULE_WINDOWS.get(code) if code is not None else None
        return window_end(window, now) if window else now + backoff(attempts)
    if action in (ErrorAction.RETRY, ErrorAction.REFRESH) and attempts < app_settings.MAX_ATTEMPTS:
        return now + backoff(attempts)
    return None
