"""The OA token pair: store it, hand out a valid access token, refresh it safely.

Zalo's refresh tokens are single-use: refreshing twice with the same one burns the grant.
So a refresh runs under a row lock on the account, re-reads the row, and skips the call
when another process already rotated the pair; the new pair is committed before use.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import ZnsConfigurationError
from .models import ZaloAccount
from .zalo.client import TokenPair, ZaloClient

logger = logging.getLogger(__name__)

#: Refresh tokens live three months (zns-api.md §4).
REFRESH_TOKEN_LIFETIME = dt.timedelta(days=90)
#: Refresh this long before Zalo's expiry, so a send never carries a just-expired token.
EXPIRY_MARGIN = dt.timedelta(minutes=10)


def store_token_pair(
    *, access_token: str, refresh_token: str, expires_in: int = 90000, oa_id: str = "", name: str = ""
) -> ZaloAccount:
    """Save a token pair (from the API Explorer, OAuth, or the sandbox) on the current account."""
    if not access_token or not refresh_token:
        raise ValueError(_("Both an access token and a refresh token are required."))
    now = timezone.now()
    with transaction.atomic():
        account = ZaloAccount.objects.select_for_update().filter(is_active=True).order_by("pk").first()
        account = account or ZaloAccount(is_active=True)
        account.access_token = access_token
        account.refresh_token = refresh_token
        account.access_token_expires_at = now + dt.timedelta(seconds=int(expires_in))
        account.refresh_token_expires_at = now + REFRESH_TOKEN_LIFETIME
        account.oa_id = oa_id or account.oa_id
        account.name = name or account.name
        account.save()
    return account


def current_account() -> ZaloAccount:
    account = ZaloAccount.objects.current()
    if account is None or not account.is_connected:
        raise ZnsConfigurationError(
            _("No Zalo account is connected: run `manage.py zns_tokens set` or connect it in the admin.")
        )
    return account


def get_access_token(client: ZaloClient | None = None) -> str:
    """A valid access token, refreshed first when it is (nearly) expired."""
    account = current_account()
    expires_at = account.access_token_expires_at
    if expires_at and expires_at - EXPIRY_MARGIN <= timezone.now():
        return refresh_access_token(client, stale_token=account.access_token)
    return account.access_token


def refresh_access_token(client: ZaloClient | None = None, *, stale_token: str | None = None) -> str:
    """Rotate the pair once and return the new access token.

    ``stale_token`` is the token the caller found wanting; if the stored one differs,
    another process refreshed meanwhile and its token is returned without a call.
    """
    client = client or ZaloClient.from_settings()
    with transaction.atomic():
        account = ZaloAccount.objects.select_for_update().filter(is_active=True).order_by("pk").first()
        if account is None or not account.refresh_token:
            raise ZnsConfigurationError(_("No Zalo account with a refresh token is connected."))
        if stale_token is not None and account.access_token != stale_token:
            return account.access_token
        pair: TokenPair = client.refresh_token(account.refresh_token)
        now = timezone.now()
        account.access_token = pair.access_token
        account.refresh_token = pair.refresh_token
        account.access_token_expires_at = now + dt.timedelta(seconds=pair.expires_in)
        account.refresh_token_expires_at = now + REFRESH_TOKEN_LIFETIME
        account.save(
            update_fields=[
                "access_token", "refresh_token", "access_token_expires_at",
                "refresh_token_expires_at", "updated_at",
            ]
        )
    logger.info("Zalo access token refreshed for account %s", account.pk)
    return pair.access_token
