"""The access token the worker's sends carry, and what a refused or failed refresh means
for the messages being sent (the token store itself is :mod:`zns_notify.account.tokens`)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from zns_notify.account.tokens import (
    expire_access_token,
    get_access_token,
    refresh_access_token,
)
from zns_notify.exceptions import ZnsReconnectRequired
from zns_notify.zalo.client import ZaloAPIError, ZaloClient, ZaloGrantRejected
from zns_notify.zalo.errors import ErrorAction


def access_token(client: ZaloClient) -> str:
    """A valid access token for sending (refreshed first when it is about to expire); a
    failed refresh becomes the error the waiting messages record."""
    try:
        return get_access_token(client)
    except ZnsReconnectRequired:
        raise
    except ZaloAPIError as exc:
        raise _refresh_failure(exc) from exc


def refreshed_token(client: ZaloClient, stale: str) -> str:
    """Zalo rejected ``stale``: a new token (this process's refresh, or another worker's);
    a failed refresh becomes the error the refused sends record."""
    try:
        return refresh_access_token(client, stale_token=stale)
    except ZnsReconnectRequired:
        # Zalo rejects this token and it cannot be refreshed: later sends wait unclaimed.
        expire_access_token(stale)
        raise
    except ZaloAPIError as exc:
        if isinstance(exc, ZaloGrantRejected):
            expire_access_token(stale)
        raise _refresh_failure(exc) from exc


def fresh_tokens_refused(exc: ZaloAPIError, count: int) -> ZaloAPIError:
    """Zalo refused ``count`` new access tokens in a row on their first use (the account is
    marked, :func:`zns_notify.account.refusals.token_refused`): the refused sends and later
    ones wait, unclaimed, until a refresh brings a token Zalo takes or an admin reconnects."""
    reason = _(
        "Zalo refused %(count)s new access tokens in a row on their first use (%(error)s); "
        "the message waits until Zalo takes a new token, or reconnect the OA."
    ) % {"count": count, "error": exc}
    return _refusal(exc, reason, ErrorAction.RESCHEDULE)


def refused_again(exc: ZaloAPIError, resends: int) -> ZaloAPIError:
    """One message met a refused token ``resends`` times in one run, each time with a newer
    token: Zalo never took it, so it goes again later, like any transient failure."""
    reason = _(
        "Zalo refused the access token %(count)s times in a row for this message "
        "(%(error)s); it will be tried again."
    ) % {"count": resends, "error": exc}
    return _refusal(exc, reason, ErrorAction.RETRY)


def _refusal(exc: ZaloAPIError, reason: str, action: ErrorAction) -> ZaloAPIError:
    """Zalo's token refusal ``exc`` as the message records it: ``reason``, then ``action``;
    never sent (Zalo refused the token, not the message)."""
    error = ZaloAPIError(reason, code=exc.code, action=action, sent=False, answer=exc.answer)
    error.request = exc.request  # the send it answered, for the timeline
    return error


def _refresh_failure(exc: ZaloAPIError) -> ZaloAPIError:
    """What a failed refresh means for the message being sent. Zalo unreachable, or another
    process still refreshing: back off. The grant gone (expired, revoked or burned): wait
    for a reconnect, never an account hold, which would outlive the reconnect."""
    if exc.action == ErrorAction.RETRY:
        # The refresh may have reached Zalo, the message did not: never an ambiguous send.
        return ZaloAPIError(str(exc), code=exc.code, action=exc.action, sent=False)
    if not isinstance(exc, ZaloGrantRejected) and exc.action == ErrorAction.CONFIG:
        return exc  # the app's own credentials (APP_ID/APP_SECRET): an admin must fix them
    return ZaloAPIError(
        _("Zalo refused to refresh the access token (%(error)s); reconnect the OA.")
        % {"error": exc},
        code=exc.code,
        action=ErrorAction.RESCHEDULE,
        sent=False,
    )
