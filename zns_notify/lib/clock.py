"""The shop's clock: the one place that says what "now", "today" and "midnight" are.

The time comes from Django's ``timezone.now()`` (so a test moves it in one place, with
time-machine); days, midnights and mornings are those of the shop's time zone,
``ZNS_NOTIFY["TIMEZONE"]`` (Asia/Ho_Chi_Minh unless set), read on every call so a changed
setting applies at once, whatever Django's ``TIME_ZONE`` (often UTC on a server). The quota
ledger's days, the policy's quiet hours and caps, the reports' days and Zalo's reschedule
windows all read it here.
"""

from __future__ import annotations

import datetime as dt
import random
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.utils import timezone

from zns_notify.conf import app_settings
from zns_notify.lib.delays import WINDOW_SPREAD_SECONDS


def zone() -> ZoneInfo:
    """The shop's time zone (``TIMEZONE``)."""
    return ZoneInfo(app_settings.TIMEZONE)


def now() -> dt.datetime:
    """The current instant (aware, UTC): Django's ``timezone.now()``."""
    return timezone.now()


def local_now(at: dt.datetime | None = None) -> dt.datetime:
    """``at`` (default: now) as the shop's wall clock shows it."""
    return (at or now()).astimezone(zone())


def local_day(at: dt.datetime | None = None) -> dt.date:
    """The shop's date at ``at`` (default: now)."""
    return local_now(at).date()


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[midnight, next midnight) of the shop's ``day``, as aware datetimes."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone())
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone())


def next_midnight(at: dt.datetime | None = None) -> dt.datetime:
    """The shop's first midnight after ``at`` (default: now), exactly."""
    return day_bounds(local_day(at))[1]


def spread(at: dt.datetime) -> dt.datetime:
    """``at`` plus up to :data:`~zns_notify.lib.delays.WINDOW_SPREAD_SECONDS`, at random, so
    a day's backlog does not come due, and hit Zalo, in the same second."""
    return at + dt.timedelta(seconds=random.uniform(0, WINDOW_SPREAD_SECONDS))


def next_local_day(at: dt.datetime | None = None) -> dt.datetime:
    """When a wait for the shop's next day ends: its midnight, spread (:func:`spread`)."""
    return spread(next_midnight(at))


class Window(StrEnum):
    """When a wait for the shop's calendar ends (Zalo's RESCHEDULE codes map to them in
    :data:`zns_notify.zalo.errors.RESCHEDULE_WINDOWS`)."""

    MORNING = "morning"  # Zalo's night ban ends at 06:00
    NEXT_DAY = "next_day"  # daily quotas reset at midnight
    NEXT_MONTH = "next_month"  # monthly quotas reset on the 1st


def window_end(window: Window, now: dt.datetime) -> dt.datetime:
    """The next start of ``window`` after ``now`` in the shop's time, spread (:func:`spread`)."""
    local = local_now(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if window == Window.MORNING:
        start = midnight.replace(hour=6)
        if start <= local:
            start = (midnight + dt.timedelta(days=1)).replace(hour=6)
    elif window == Window.NEXT_DAY:
        return next_local_day(now)
    else:
        start = (midnight.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return spread(start)
