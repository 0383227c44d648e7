"""The shop's clock: its days and midnights are those of ``TIMEZONE``, not UTC's."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from zns_notify.lib import clock

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, second, tzinfo=VN)


def test_ledger_rolls_over_at_vietnamese_midnight():
    late = dt.datetime(2026, 3, 1, 16, 59, tzinfo=dt.UTC)  # 23:59 in Hanoi
    assert clock.local_day(late) == dt.date(2026, 3, 1)
    assert clock.local_day(late + dt.timedelta(minutes=1)) == dt.date(2026, 3, 2)


def test_the_next_day_starts_at_local_midnight_not_utc():
    utc = dt.UTC
    # 23:59 in Vietnam is 16:59 UTC: the next day starts one minute later.
    start = clock.next_local_day(dt.datetime(2026, 11, 22, 16, 59, tzinfo=utc))
    assert at(23, 0, 0) <= start <= at(23, 0, 5)
    # 00:00 in Vietnam (17:00 UTC) already belongs to the 23rd: the next day is the 24th.
    start = clock.next_local_day(dt.datetime(2026, 11, 22, 17, 0, tzinfo=utc))
    assert at(24, 0, 0) <= start <= at(24, 0, 5)
