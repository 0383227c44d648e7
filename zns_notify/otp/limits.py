"""The rate limits on requests for codes, counted in the database (the challenge rows
themselves), so every web process and host of the shop sees the same counts."""

from __future__ import annotations

import datetime as dt

from zns_notify.conf import app_settings
from zns_notify.models import OtpChallenge
from zns_notify.otp.refusals import OtpRefused, Refusal


def _check(rows, limit: tuple[int, int], now: dt.datetime) -> None:
    count, seconds = limit
    if not count:
        return
    window = dt.timedelta(seconds=seconds)
    # Only the times of the rows that decide are read: when the window holds ``count``
    # requests or more, the next one is allowed once enough of them have left it.
    times = list(
        rows.filter(created_at__gt=now - window)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:count]
    )
    if len(times) >= count:
        leaves_at = times[count - 1] + window
        raise OtpRefused(Refusal.RATE_LIMITED, retry_after=(leaves_at - now).total_seconds())


def check_limits(phone: str, purpose: str, ip_hash: str, now: dt.datetime) -> None:
    """Raise ``rate_limited`` (with ``retry_after``) when a new request for ``phone`` and
    ``purpose`` from the client whose IP hashes to ``ip_hash`` would pass a limit:
    ``OTP_LIMIT_PER_PHONE`` (all purposes), ``OTP_LIMIT_PER_PURPOSE`` (all phones),
    ``OTP_LIMIT_PER_IP`` (when the IP is known)."""
    rows = OtpChallenge.objects.all()
    _check(rows.filter(phone=phone), app_settings.OTP_LIMIT_PER_PHONE, now)
    _check(rows.filter(purpose=purpose), app_settings.OTP_LIMIT_PER_PURPOSE, now)
    if ip_hash:
        _check(rows.filter(ip_hash=ip_hash), app_settings.OTP_LIMIT_PER_IP, now)
