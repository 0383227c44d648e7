"""Jittered waits before the next try of something that could not be done now.

Shared by the worker's retries (:mod:`zns_notify.sending.retry`), the SMS fallback's
(:mod:`zns_notify.fallback.sending`) and the shop's policy (:mod:`zns_notify.policy.rules`):
the jitter keeps a burst of failures, or a day's backlog, from coming back all at once.
"""

from __future__ import annotations

import datetime as dt
import random

from zns_notify.conf import app_settings

#: Spread of a reschedule past the window's start, so a day's backlog does not hit Zalo at
#: the same second at midnight.
WINDOW_SPREAD_SECONDS = 300


def backoff(attempts: int) -> dt.timedelta:
    """Exponential up to ``RETRY_BACKOFF_MAX``, with ±20% jitter, so retries of a burst do
    not hit Zalo together."""
    # The exponent is bounded: a large attempts count must not build a huge float.
    seconds = app_settings.RETRY_BACKOFF * (2 ** min(max(attempts - 1, 0), 32))
    seconds = min(seconds, app_settings.RETRY_BACKOFF_MAX) * random.uniform(0.8, 1.2)
    return dt.timedelta(seconds=seconds)
