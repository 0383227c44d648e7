"""The rate limits, counted in the database so that every web process and host of the
shop sees the same counts: on requests for codes (the challenge rows themselves), and on
checks of codes per client IP (:class:`~zns_notify.models.OtpCheck` rows).

A limit is a count followed by an insert: two requests counting at the same instant would
both see room for one more. So the count is made with the limit's key held
(:func:`_take_turn`) until the transaction that inserts ends. On PostgreSQL that is a
transaction-level advisory lock per (kind, key); on SQLite the request's transaction
already holds the one write lock from its start (``"transaction_mode": "IMMEDIATE"``, see
zns_notify.lib.write_turn). Other databases take no lock: there, requests arriving in the
same instant may pass a limit by a few (docs/otp.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import router, transaction

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


def _advisory_key(kind: str, key: str) -> int:
    """The signed 64-bit number PostgreSQL's advisory locks take, for a limit's key."""
    digest = hashlib.sha256(f"zns-otp:{kind}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _take_turn(model, keys: list[tuple[str, str]]) -> None:
    """Hold each (kind, key) of ``keys`` until the current transaction ends, in the order
    given (always phone, purpose, IP: two requests never wait on each other crosswise).
    Must be called inside the transaction that will insert the counted row."""
    using = router.db_for_write(model)
    connection = transaction.get_connection(using)
    if connection.vendor != "postgresql" or not keys:
        return
    with connection.cursor() as cursor:
        for kind, key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_advisory_key(kind, key)])


def take_request_turn(phone: str, purpose: str, ip_hash: str) -> None:
    """Wait for the other requests counted under the same limits (the ones that are on)
    to end their transactions: call it first in the request's transaction, before any
    count (the cooldown's too)."""
    keys = [("phone", phone)]  # the cooldown and OTP_LIMIT_PER_PHONE
    if app_settings.OTP_LIMIT_PER_PURPOSE[0]:
        keys.append(("purpose", purpose))
    if ip_hash and app_settings.OTP_LIMIT_PER_IP[0]:
        keys.append(("ip", ip_hash))
    _take_turn(OtpChallenge, keys)


def check_limits(phone: str, purpose: str, ip_hash: str, now: dt.datetime) -> None:
    """Raise ``rate_limited`` (with ``retry_after``) when a new request for ``phone`` and
    ``purpose`` from the client whose IP hashes to ``ip_hash`` would pass a limit:
    ``OTP_LIMIT_PER_PHONE`` (all purposes), ``OTP_LIMIT_PER_PURPOSE`` (all phones),
    ``OTP_LIMIT_PER_IP`` (when the IP is known). Call :func:`take_request_turn` first, in
    the same transaction."""
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
    not push the limit's end away. Nothing for an unknown IP, or with the limit off. Call it
    inside the check's transaction: the count and the insert hold the IP's turn."""
    limit = app_settings.OTP_VERIFY_LIMIT_PER_IP
    if not ip_hash or not limit[0]:
        return
    _take_turn(OtpCheck, [("check-ip", ip_hash)])
    wait = _wait(OtpCheck.objects.filter(ip_hash=ip_hash), limit, now)
    if wait is not None:
        raise checks_limited(wait)
    OtpCheck.objects.create(ip_hash=ip_hash, created_at=now)
