"""The two calls a shop makes: :func:`request_code` and :func:`verify_code`.

Time is :func:`zns_notify.lib.clock.now`. A refusal is an
:class:`~zns_notify.otp.refusals.OtpRefused` with its ``code``; an accepted request
answers the same for every valid phone, whether or not it has a Zalo account.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, router

from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsInvalidPhone
from zns_notify.lib import clock
from zns_notify.lib.phones import normalize_phone
from zns_notify.lib.write_turn import first_in_line
from zns_notify.models import OtpChallenge
from zns_notify.otp import clearing, codes, sending
from zns_notify.otp.limits import check_limits, count_check, take_request_turn
from zns_notify.otp.refusals import OtpRefused, Refusal

Status = OtpChallenge.Status


@dataclass(frozen=True)
class CodeRequested:
    """A request accepted: the code is on its way. ``expires_at``: when it stops working;
    ``resend_at``: when another may be asked for."""

    expires_at: dt.datetime
    resend_at: dt.datetime


@dataclass(frozen=True)
class CodeVerified:
    """The code was right: ``phone`` (normalized) proved it holds it, for ``purpose``."""

    phone: str
    purpose: str
    verified_at: dt.datetime


def _checked(phone: object, purpose: str) -> str:
    """The normalized phone, once the purpose is known and the phone a mobile number."""
    if purpose not in app_settings.OTP_PURPOSES:
        raise OtpRefused(Refusal.UNKNOWN_PURPOSE)
    try:
        return normalize_phone(phone)
    except ZnsInvalidPhone:
        raise OtpRefused(Refusal.INVALID_PHONE) from None


def _atomic():
    # A customer waits on both calls: on SQLite they take the write lock as soon as it is
    # free, ahead of the workers (zns_notify.lib.write_turn).
    return first_in_line(router.db_for_write(OtpChallenge))


def request_code(phone: object, purpose: str, *, client_ip: str | None = None) -> CodeRequested:
    """Draw a code for ``phone`` and ``purpose``, store its hash and send it; the older
    live code of that phone and purpose stops working.

    Refused with ``unknown_purpose``, ``invalid_phone``, ``cooldown`` (a code went out
    less than ``OTP_RESEND_COOLDOWN`` seconds ago) or ``rate_limited``; the last two carry
    ``retry_after``."""
    phone = _checked(phone, purpose)
    now = clock.now()
    ip = codes.ip_hash(client_ip)
    ttl = dt.timedelta(seconds=app_settings.OTP_TTL)
    cooldown = dt.timedelta(seconds=app_settings.OTP_RESEND_COOLDOWN)
    code = codes.new_code()
    try:
        with _atomic():
            # Requests counted under the same limits take turns from here to the commit.
            take_request_turn(phone, purpose, ip)
            mine = OtpChallenge.objects.filter(phone=phone, purpose=purpose)
            # Locks the live row, so two requests for one phone and purpose take turns.
            live = list(mine.filter(status=Status.PENDING).select_for_update())
            last = mine.exclude(status=Status.VERIFIED).order_by("-created_at").first()
            if last is not None and last.created_at + cooldown > now:
                wait = (last.created_at + cooldown - now).total_seconds()
                raise OtpRefused(Refusal.COOLDOWN, retry_after=wait)
            check_limits(phone, purpose, ip, now)
            for old in live:
                old.status = Status.EXPIRED if old.expires_at <= now else Status.SUPERSEDED
                old.save(update_fields=["status"])
            # The old code is dead: its message cancelled if it has not gone to Zalo, its
            # code out of the message now if the worker is done with it.
            clearing.retire(live, now)
            challenge = OtpChallenge.objects.create(
                phone=phone,
                purpose=purpose,
                code_hash=codes.code_hash(phone, purpose, code),
                ip_hash=ip,
                created_at=now,
                expires_at=now + ttl,
            )
            sending.send_code(challenge, code)
    except IntegrityError:
        # Another request for this phone and purpose stored its code first.
        raise OtpRefused(Refusal.COOLDOWN, retry_after=cooldown.total_seconds()) from None
    return CodeRequested(expires_at=now + ttl, resend_at=now + cooldown)


#: How long after it ran out a code is still looked at, so that its holder typing it late
#: is told it expired; older rows are never read by a check (they are kept for the reports
#: and the limits, ``OTP_KEEP_DAYS``).
EXPIRED_GRACE = dt.timedelta(hours=1)


def verify_code(
    phone: object, purpose: str, code: object, *, client_ip: str | None = None
) -> CodeVerified:
    """Check ``code`` against the live code of ``phone`` and ``purpose``; a right code is
    used up. Refused with ``unknown_purpose``, ``invalid_phone``, ``invalid_code`` or, with
    ``client_ip``, ``rate_limited`` (``OTP_VERIFY_LIMIT_PER_IP``: decided before the code is
    looked at, so it says nothing about the phone; with ``retry_after``). ``expired``,
    ``reused`` and ``too_many_tries`` answer only the right code: a wrong one is
    ``invalid_code`` whatever became of the phone's codes, or whether it ever had one, so
    a check cannot tell what the phone has been doing. A wrong try at a live code counts
    towards ``OTP_MAX_TRIES`` all the same.

    The try, the lock and the check's count are written in the caller's transaction when
    there is one: catch the refusal inside it, or they roll back with it (docs/otp.md, "In
    your own transaction")."""
    phone = _checked(phone, purpose)
    now = clock.now()
    given = str(code or "").strip()
    with _atomic():
        count_check(codes.ip_hash(client_ip), now)
        challenge = (
            OtpChallenge.objects.filter(
                phone=phone, purpose=purpose, expires_at__gt=now - EXPIRED_GRACE
            )
            .exclude(status=Status.SUPERSEDED)
            .order_by("-created_at")
            .select_for_update()
            .first()
        )
        refusal = _judge(challenge, phone, purpose, given, now)
        if challenge is not None and challenge.status != Status.PENDING:
            # Used, expired or locked: its message cancelled if it has not gone to Zalo, the
            # code out of it when nothing may still send it (the sweep does the rest).
            clearing.retire([challenge], now)
    # Raised outside the transaction: a wrong try or a lock must be stored, not rolled back.
    if refusal is not None:
        raise refusal
    return CodeVerified(phone=phone, purpose=purpose, verified_at=now)


def _judge(
    challenge: OtpChallenge | None, phone: str, purpose: str, given: str, now: dt.datetime
) -> OtpRefused | None:
    """What ``given`` does to ``challenge`` (saved here); None when it is right."""
    if challenge is None:
        # Hashed all the same, so that the time taken does not tell either.
        codes.code_matches("", phone, purpose, given)
        return OtpRefused(Refusal.INVALID_CODE)
    matches = codes.code_matches(challenge.code_hash, phone, purpose, given)
    if challenge.status == Status.PENDING and challenge.expires_at <= now:
        challenge.status = Status.EXPIRED
        challenge.save(update_fields=["status"])
    if challenge.status != Status.PENDING:
        # A dead code: what became of it is said only to whoever holds it.
        return OtpRefused(
            _DEAD.get(challenge.status, Refusal.INVALID_CODE) if matches else Refusal.INVALID_CODE
        )
    if matches:
        challenge.status = Status.VERIFIED
        challenge.consumed_at = now
        challenge.save(update_fields=["status", "consumed_at"])
        return None
    challenge.tries_used += 1
    if challenge.tries_used >= app_settings.OTP_MAX_TRIES:
        challenge.status = Status.LOCKED
    challenge.save(update_fields=["tries_used", "status"])
    # The try that locks the code answers like the others: a count of tries left, or a
    # different answer on the last one, would tell a live code from none.
    return OtpRefused(Refusal.INVALID_CODE)


#: The refusal of the right code, by what became of it.
_DEAD = {
    Status.VERIFIED: Refusal.REUSED,
    Status.EXPIRED: Refusal.EXPIRED,
    Status.LOCKED: Refusal.TOO_MANY_TRIES,
}
