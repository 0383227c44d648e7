"""The rate limits, counted in the database so that every web process and host of the
shop sees the same counts: on requests for codes (the challenge rows themselves), and on
checks of codes per client IP (:class:`~zns_notify.models.OtpCheck` rows)."""

from __future__ import annotations

import datetime as dt

from zns_notify.conf import app_settings
from zns_notify.models import OtpChallenge, OtpCheck
from zns_notify.otp.refusals import OtpRefused, Refusal, checks_limited


def _wait(rows, limit: tuple[int, int], now: dt.datetime) -> float | None:
    """Seconds until ``rows`` (with a ``created_at``) leave room for one more under
    ``limit``; None when there is room now."""
    count, seconds = limit
    if not count:
        return None
    window = dt.timedelta(seconds=seconds)
    # Only the times of the rows that decide are read: when the window holds ``count``
    # rows or more, the next one is allowed once enough of them have left it.
    times = list(
        rows.filter(created_at__gt=now - window)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:count]
    )
    if len(times) < count:
        return None
    return (times[count - 1] + window - now).total_seconds()


def _check(rows, limit: tuple[int, int], now: dt.datetime) -> None:
    wait = _wait(rows, limit, now)
    if wait is not None:
        raise OtpRefused(Refusal.RATE_LIMITED, retry_after=wait)


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


def count_check(ip_hash: str, now: dt.datetime) -> None:
    """``OTP_VERIFY_LIMIT_PER_IP``: raise ``rate_limited`` (with ``retry_after``) when the
    client whose IP hashes to ``ip_hash`` has checked as many codes as allowed, whatever
    the phones; else count this check. Call it before the code is looked at, so the answer
    is the same whether a code exists; a refused check is not counted, so hammering does
    not push the limit's end away. Nothing for an unknown IP, or with the limit off."""
    limit = app_settings.OTP_VERIFY_LIMIT_PER_IP
    if not ip_hash or not limit[0]:
        return
    wait = _wait(OtpCheck.objects.filter(ip_hash=ip_hash), limit, now)
    if wait is not None:
        raise checks_limited(wait)
    OtpCheck.objects.create(ip_hash=ip_hash, created_at=now)
