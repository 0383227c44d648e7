"""The OA token pair: store it, hand out a valid access token, refresh it safely.

Zalo's refresh tokens are single-use: refreshing twice with the same one burns the grant.
So a refresh is *single-flight* across processes, without holding a database lock (or, on
SQLite, the database's write lock) during the HTTP call:

1. **Claim** a lease on the account row with one conditional UPDATE (autocommit): it
   succeeds only if nobody holds an unexpired lease and the refresh token is still the
   one this process read. Losers poll the row until the winner's new pair appears.
2. **Call** Zalo outside any transaction.
3. **Commit** the new pair at once with one conditional UPDATE keyed on the *old* refresh
   token (compare-and-swap), which also releases the lease. Only then is it used.

A refresher that dies holding the lease loses it after :func:`refresh_lease`; the next
process takes over. If it died after Zalo rotated the pair but before step 3, the new pair
is lost and the old refresh token is burned: the next refresh is refused and the account
is marked "needs reconnect" (see docs/tokens.md). Step 3 follows the answer immediately
to keep that window to a few milliseconds.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid

from django.db import DatabaseError, connections, router, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zns_notify.account import holds
from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError, ZnsReconnectRequired
from zns_notify.models import SendingHold, ZaloAccount
from zns_notify.zalo.client import TokenPair, ZaloAPIError, ZaloClient, ZaloGrantRejected
from zns_notify.zalo.errors import ErrorAction

logger = logging.getLogger(__name__)

#: Refresh tokens live three months (zns-api.md §4).
REFRESH_TOKEN_LIFETIME = dt.timedelta(days=90)
#: Refresh this long before Zalo's expiry, so a send never carries a just-expired token.
EXPIRY_MARGIN = dt.timedelta(minutes=10)
#: The proactive schedule refreshes an access token expiring within this margin
#: (Zalo's live 25 h, so a pair is rotated after about 20 h).
PROACTIVE_MARGIN = dt.timedelta(hours=5)
#: How long a refresh lease protects a refresher; at least longer than one token request
#: can take with ``REQUEST_TIMEOUT`` (see :func:`refresh_lease`).
REFRESH_LEASE = dt.timedelta(seconds=60)
#: How often a process waiting for another's refresh looks at the row.
POLL_INTERVAL = 0.1
#: Brand-new access tokens Zalo refuses on their first use, in a row, before the OA is
#: marked "needs reconnect" (zns_notify.account.refusals): one such refusal is a token that
#: expired before it was used; this many say the grant itself is broken.
FRESH_TOKEN_REFUSALS = 3


def refresh_lease() -> dt.timedelta:
    connect, read = app_settings.REQUEST_TIMEOUT
    return max(REFRESH_LEASE, dt.timedelta(seconds=connect + read + 10))


def store_token_pair(
    *,
    access_token: str,
    refresh_token: str,
    expires_in: int = 90000,
    oa_id: str = "",
    name: str = "",
) -> ZaloAccount:
    """Save a token pair (from the API Explorer, OAuth, or the sandbox) on the current
    account, and clear any "needs reconnect" state: this *is* the reconnect."""
    if not access_token or not refresh_token:
        raise ValueError(_("Both an access token and a refresh token are required."))
    now = timezone.now()
    with transaction.atomic():
        account = (
            ZaloAccount.objects.select_for_update().filter(is_active=True).order_by("pk").first()
        )
        account = account or ZaloAccount(is_active=True)
        account.access_token = access_token
        account.refresh_token = refresh_token
        account.access_token_expires_at = now + dt.timedelta(seconds=int(expires_in))
        account.refresh_token_expires_at = now + REFRESH_TOKEN_LIFETIME
        account.oa_id = oa_id or account.oa_id
        account.name = name or account.name
        account.needs_reconnect = False
        account.reconnect_reason = ""
        account.needs_reconnect_since = None
        account.token_state = "new"
        account.fresh_token_refusals = 0
        account.refresh_owner = ""
        account.refresh_started_at = None
        account.save()
    _release_account_holds(account)
    logger.info("Zalo token pair stored on account %s", account.pk)
    return account


def _release_account_holds(account: ZaloAccount) -> None:
    """A reconnect is what an account-wide hold waits for: its messages may go now (if Zalo
    still refuses them, the next send puts the hold back)."""
    holds.release(
        SendingHold.objects.filter(account=account, template__isnull=True, until__gt=timezone.now())
    )


def current_account() -> ZaloAccount:
    account = ZaloAccount.objects.current()
    if account is None or not account.is_connected:
        raise ZnsConfigurationError(
            _(
                "No Zalo account is connected: run `manage.py zns_tokens set` or connect it in "
                "the admin."
            )
        )
    return account


def refuses_fresh_tokens(account: ZaloAccount) -> bool:
    """The OA waits because Zalo refused new access tokens, not the refresh token: the
    refresh still works, so a later one may end the wait without an admin."""
    return account.needs_reconnect and account.fresh_token_refusals >= FRESH_TOKEN_REFUSALS


def reconnect_message(account: ZaloAccount) -> str:
    if refuses_fresh_tokens(account):
        return _(
            "Zalo refused %(count)s new access tokens in a row on their first use (%(reason)s). "
            "Messages wait; the app refreshes the token again every minute and sends as soon "
            "as Zalo takes it. If this lasts, connect the OA again in the admin."
        ) % {"count": account.fresh_token_refusals, "reason": account.reconnect_reason or "-"}
    return _(
        "Zalo refused the OA's refresh token (%(reason)s): connect the OA again in the admin "
        "or with `manage.py zns_tokens set`. Messages wait until then."
    ) % {"reason": account.reconnect_reason or "-"}


def token_is_fresh(account: ZaloAccount, margin: dt.timedelta = EXPIRY_MARGIN) -> bool:
    expires_at = account.access_token_expires_at
    return bool(account.access_token) and (
        expires_at is None or expires_at - margin > timezone.now()
    )


def must_wait(account: ZaloAccount | None) -> str | None:
    """Why sends must wait right now, or None: no account is connected, or the grant is gone
    and the access token expired. Waiting messages are not claimed, so no attempt is spent
    however long an admin takes.

    A stored access token that has not expired is still used after Zalo refused the refresh
    token: it is valid until its expiry, and a -124 then sends the message back to wait.
    """
    if account is None or not account.is_connected:
        return _(
            "No Zalo account is connected: run `manage.py zns_tokens set` or connect it in the "
            "admin."
        )
    if account.needs_reconnect and not token_is_fresh(account):
        return reconnect_message(account)
    return None


def require_reconnect(token: str, reason: str) -> None:
    """Zalo refuses new access tokens one after the other: say so where staff look, and let
    later sends wait unclaimed (:mod:`zns_notify.account.refusals` tries a refresh again)."""
    now = timezone.now()
    ZaloAccount.objects.filter(access_token=token, needs_reconnect=False).update(
        needs_reconnect=True,
        reconnect_reason=reason[:500],
        needs_reconnect_since=now,
        access_token_expires_at=now,
    )


def get_access_token(client: ZaloClient | None = None) -> str:
    """A valid access token, refreshed first when it is (nearly) expired."""
    account = current_account()
    if token_is_fresh(account):
        return account.access_token
    if account.needs_reconnect:
        raise ZnsReconnectRequired(reconnect_message(account))
    return refresh_access_token(client, stale_token=account.access_token)


def refresh_access_token(
    client: ZaloClient | None = None, *, stale_token: str | None = None, recovering: bool = False
) -> str:
    """Rotate the pair once across all processes and return the new access token.

    ``stale_token`` is the token the caller found wanting; if the stored one differs,
    another process refreshed meanwhile and its token is returned without a call. Without
    it, the token stored when this call starts counts as the stale one.

    ``recovering``: the OA waits because Zalo refused new tokens (:func:`refuses_fresh_tokens`)
    and this refresh tries once more; the wait ends only when Zalo takes the new token.
    """
    client = client or ZaloClient.from_settings()
    deadline = time.monotonic() + refresh_lease().total_seconds() + 5
    owner = uuid.uuid4().hex
    while True:
        account = ZaloAccount.objects.current()
        if account is None or not account.refresh_token:
            raise ZnsConfigurationError(_("No Zalo account with a refresh token is connected."))
        if stale_token is None:
            stale_token = account.access_token
        if account.access_token != stale_token:
            return account.access_token  # another process rotated the pair meanwhile
        if account.needs_reconnect and not (recovering and refuses_fresh_tokens(account)):
            raise ZnsReconnectRequired(reconnect_message(account))
        if _claim(account, owner, recovering):
            break
        if time.monotonic() > deadline:
            raise ZaloAPIError(
                "Another process is refreshing the Zalo access token and has not finished",
                action=ErrorAction.RETRY,
                sent=False,
            )
        time.sleep(POLL_INTERVAL)
    return _rotate(client, account, owner, recovering)


def _claim(account: ZaloAccount, owner: str, recovering: bool = False) -> bool:
    """Take the refresh lease: one short conditional UPDATE, committed at once."""
    now = timezone.now()
    free = (
        Q(refresh_owner="")
        | Q(refresh_started_at__isnull=True)
        | Q(refresh_started_at__lt=now - refresh_lease())
    )
    usable = Q(needs_reconnect=False)
    if recovering:
        usable |= Q(fresh_token_refusals__gte=FRESH_TOKEN_REFUSALS)
    return bool(
        ZaloAccount.objects.filter(
            free, usable, pk=account.pk, refresh_token=account.refresh_token
        ).update(refresh_owner=owner, refresh_started_at=now)
    )


def _rotate(client: ZaloClient, account: ZaloAccount, owner: str, recovering: bool) -> str:
    old_refresh = account.refresh_token
    mine = ZaloAccount.objects.filter(pk=account.pk, refresh_token=old_refresh)
    if not transaction.get_autocommit(using=router.db_for_write(ZaloAccount)):
        # E.g. ATOMIC_REQUESTS: the lease and the new pair become visible to other processes
        # only when the caller's transaction commits, and are lost if it rolls back.
        logger.warning(
            "Zalo access token refreshed inside a transaction: the new pair is "
            "committed only when that transaction commits"
        )
    try:
        pair: TokenPair = client.refresh_token(old_refresh)
    except ZaloGrantRejected as exc:
        # Unless another process committed a new pair meanwhile (then this refusal is just
        # the burned token it left behind), the grant is gone: say so where staff look.
        now = timezone.now()
        marked = mine.update(
            needs_reconnect=True,
            reconnect_reason=str(exc)[:500],
            needs_reconnect_since=now,
            fresh_token_refusals=0,  # the refresh token itself: no refresh can end this wait
            refresh_owner="",
            refresh_started_at=None,
        )
        if not marked:
            fresh = ZaloAccount.objects.filter(pk=account.pk).first()
            if fresh is not None and fresh.access_token != account.access_token:
                return fresh.access_token
        logger.error(
            "Zalo refused the refresh token of account %s: the OA must be reconnected (%s)",
            account.pk,
            exc,
        )
        raise
    except BaseException:
        mine.filter(refresh_owner=owner).update(refresh_owner="", refresh_started_at=None)
        raise
    committed = _commit_pair(mine, pair, keep_waiting=recovering)
    if not committed:
        # Someone stored another pair (a reconnect) while we were refreshing: theirs wins.
        logger.warning(
            "Zalo account %s changed during a refresh; the stored pair is kept", account.pk
        )
        return current_account().access_token
    logger.info("Zalo access token refreshed for account %s", account.pk)
    return pair.access_token


#: Tries at storing a rotated pair: Zalo has already burned the old refresh token, so a
#: busy database ("database is locked") or a dropped connection must not lose the new one.
COMMIT_TRIES = 6


def _commit_pair(mine, pair: TokenPair, keep_waiting: bool = False) -> int:
    """Store the rotated pair. ``keep_waiting``: the OA waits because Zalo refused new
    tokens; it keeps waiting until Zalo takes this one (zns_notify.account.refusals)."""
    alias = router.db_for_write(ZaloAccount)
    for attempt in range(1, COMMIT_TRIES + 1):
        now = timezone.now()
        connected = {}
        if not keep_waiting:
            connected = dict(needs_reconnect=False, reconnect_reason="", needs_reconnect_since=None)
        try:
            return mine.update(
                access_token=pair.access_token,
                refresh_token=pair.refresh_token,
                access_token_expires_at=now + dt.timedelta(seconds=pair.expires_in),
                refresh_token_expires_at=now + REFRESH_TOKEN_LIFETIME,
                refresh_owner="",
                refresh_started_at=None,
                token_state="new",
                updated_at=now,
                **connected,
            )
        except DatabaseError:
            if attempt == COMMIT_TRIES or not transaction.get_autocommit(using=alias):
                logger.critical(
                    "Zalo rotated the token pair but it could not be stored; the OA "
                    "will need reconnecting if this process cannot retry"
                )
                raise
            logger.warning(
                "Storing the refreshed Zalo token pair failed (try %s); retrying", attempt
            )
            connections[alias].close_if_unusable_or_obsolete()
            time.sleep(0.2 * attempt)
    return 0


def expire_access_token(token: str) -> None:
    """Zalo rejected this access token: record it as expired, if it is still the stored one."""
    ZaloAccount.objects.filter(access_token=token).update(access_token_expires_at=timezone.now())


def refresh_if_expiring(
    client: ZaloClient | None = None, margin: dt.timedelta = PROACTIVE_MARGIN
) -> bool:
    """Refresh when the access token expires within ``margin``; True if it was refreshed."""
    account = ZaloAccount.objects.current()
    if account is None or not account.is_connected or account.needs_reconnect:
        return False
    if token_is_fresh(account, margin):
        return False
    refresh_access_token(client, stale_token=account.access_token)
    return True
