"""What a refused access token means, and the way back when Zalo refused new ones.

Zalo answers ``-124`` both for an expired access token and for one it will never take
(zns-api.md §3). The account row remembers whether Zalo took its current token
(``token_state``), so every worker reads a refusal the same way:

- a token Zalo **took before** and refuses now has **expired** (tokens can expire between
  two sends, however short their life): refresh again, single-flight, as often as needed;
- a **brand-new** token refused on its **first use** counts once (``fresh_token_refusals``);
  :data:`~zns_notify.account.tokens.FRESH_TOKEN_REFUSALS` of them in a row mean the grant
  is broken although the refresh works: the OA is marked "needs reconnect" and sends wait;
- any token Zalo takes resets the count.

That wait ends by itself: :func:`recover` (run by the send tasks and the ``refresh_token``
schedule, at most once per :data:`RECOVERY_INTERVAL`) refreshes once more and asks Zalo's
``/message/quota`` with the new token; taken, the OA is connected again and the waiting
messages are due at once. A refresh token Zalo refuses is another matter: only an admin's
reconnect helps, and nothing here retries it.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import BooleanField, Case, DateTimeField, F, Q, TextField, Value, When
from django.utils import timezone

from zns_notify.account import quota
from zns_notify.account.tokens import (
    FRESH_TOKEN_REFUSALS,
    expire_access_token,
    refresh_access_token,
    refuses_fresh_tokens,
    require_reconnect,
)
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.models import Message, ZaloAccount
from zns_notify.zalo.client import ZaloAPIError, ZaloClient
from zns_notify.zalo.errors import ERROR_CODES, ErrorAction

__all__ = [
    "FRESH_TOKEN_REFUSALS",
    "RECOVERY_INTERVAL",
    "recover",
    "token_accepted",
    "token_refused",
]

logger = logging.getLogger(__name__)

#: After Zalo refused new tokens, how long before the next refresh tries again.
RECOVERY_INTERVAL = dt.timedelta(minutes=1)

NEW, ACCEPTED, REFUSED = "new", "accepted", "refused"


def token_accepted(token: str) -> bool:
    """Zalo took ``token`` (a send or a call answered with anything but a token refusal):
    the count of refused new tokens starts again, and a wait for refused new tokens ends.
    Return True when that ended such a wait."""
    waiting = Q(needs_reconnect=True, fresh_token_refusals__gte=FRESH_TOKEN_REFUSALS)
    rows = ZaloAccount.objects.filter(access_token=token).exclude(token_state=ACCEPTED)
    ended = rows.filter(waiting).exists()
    rows.update(
        token_state=ACCEPTED,
        fresh_token_refusals=0,
        needs_reconnect=Case(
            When(waiting, then=Value(False)),
            default=F("needs_reconnect"),
            output_field=BooleanField(),
        ),
        reconnect_reason=Case(
            When(waiting, then=Value("")), default=F("reconnect_reason"), output_field=TextField()
        ),
        needs_reconnect_since=Case(
            When(waiting, then=Value(None)),
            default=F("needs_reconnect_since"),
            output_field=DateTimeField(),
        ),
    )
    if ended:
        logger.info("Zalo took a new access token: the OA is connected again")
        _release_reconnect_waits(timezone.now())
    return ended


def token_refused(token: str, error: ZaloAPIError | str) -> bool:
    """Zalo refused ``token`` (``-124`` and kin). Record it; return True when the OA must now
    wait for a reconnect (too many new tokens refused on first use), False when a refresh
    is the answer (the token expired, or one new token was refused)."""
    now = timezone.now()
    counted = ZaloAccount.objects.filter(
        access_token=token, token_state=NEW, needs_reconnect=False
    ).update(
        token_state=REFUSED,
        fresh_token_refusals=F("fresh_token_refusals") + 1,
        access_token_expires_at=now,
    )
    if not counted:
        expire_access_token(token)  # taken before, so expired; or already counted
    account = ZaloAccount.objects.filter(access_token=token).first()
    if account is None:
        return False  # another worker refreshed meanwhile: its token is the answer
    if counted and account.fresh_token_refusals >= FRESH_TOKEN_REFUSALS:
        require_reconnect(token, str(error))
        logger.error(
            "Zalo refused %s new access tokens in a row on first use: sends wait (%s)",
            account.fresh_token_refusals,
            error,
        )
        return True
    return refuses_fresh_tokens(account)


def recover(client: ZaloClient | None = None) -> bool:
    """The OA waits because Zalo refused new tokens: refresh once more and ask
    ``/message/quota`` with the new token. True when Zalo took it (sending resumes).

    At most once per :data:`RECOVERY_INTERVAL` (the stored token's expiry records when it was
    refused or last tried), single-flight with every other refresh."""
    account = ZaloAccount.objects.current()
    if account is None or not account.is_connected or not refuses_fresh_tokens(account):
        return False
    last = account.access_token_expires_at
    if last is not None and last > timezone.now() - RECOVERY_INTERVAL:
        return False  # refused (or tried) moments ago, or a try is under way
    client = client or ZaloClient.from_settings()
    token = None
    try:
        token = refresh_access_token(client, stale_token=account.access_token, recovering=True)
        data = client.quota(access_token=token)
    except ZaloAPIError as exc:
        if token is not None and exc.code is not None and exc.action != ErrorAction.REFRESH:
            # Zalo read the token to answer with another error (a rate limit…): it took it.
            token_accepted(token)
            return True
        if token is not None and exc.action == ErrorAction.REFRESH and exc.code is not None:
            token_refused(token, exc)
        else:
            # No answer about the token (a timeout, a 5xx, the refresh itself failed): the
            # stored token's expiry becomes this try's time, so the next try is a minute
            # away, not at the new token's real expiry a day later, nor at once.
            _tried_now(account.pk)
        logger.warning("zns: the OA still waits for a token Zalo takes: %s", exc)
        return False
    except ZnsConfigurationError as exc:  # the refresh token refused meanwhile: an admin's turn
        logger.warning("zns: the OA must be reconnected: %s", exc)
        return False
    token_accepted(token)
    quota.record_quota(account, data)
    return True


def _tried_now(pk: int) -> None:
    ZaloAccount.objects.filter(pk=pk).update(access_token_expires_at=timezone.now())


def _release_reconnect_waits(now: dt.datetime) -> None:
    """The messages that waited for a token Zalo takes are due now: those postponed without
    an attempt (no code) and those whose send met a refused token (its code); both wait as
    "reschedule". A quota wait among the first is gated again and waits again, unsent."""
    refused = [code for code, entry in ERROR_CODES.items() if entry[0] == ErrorAction.REFRESH]
    Message.objects.filter(
        Q(error_code__isnull=True) | Q(error_code__in=refused),
        status=Message.Status.QUEUED,
        error_category=str(ErrorAction.RESCHEDULE),
        next_attempt_at__gt=now,
    ).update(next_attempt_at=now)
