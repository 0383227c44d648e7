"""Connecting an OA from the admin: Zalo's OAuth v4 authorization-code flow with PKCE.

``start`` (behind the admin's "Connect Zalo OA" button) keeps a fresh ``state`` and PKCE
``code_verifier`` in the staff user's session and sends the browser to Zalo's permission
page. Zalo sends it back to :class:`OAuthCallbackView` at ``/zns/oauth/callback/`` with
``code`` and ``oa_id``; the view checks the state (single use, 10 minutes, same user),
exchanges the code with the verifier, asks Zalo which OA the new token belongs to
(``/v2.0/oa/getoa``: the URL's ``oa_id`` is only checked against it, never stored), and
stores the pair. Every outcome ends on the Zalo
account list in the admin with a message; tokens never appear in a message or a log.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views import View

from zns_notify.account.tokens import store_token_pair
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.zalo.client import ZaloAPIError, ZaloClient

logger = logging.getLogger(__name__)

SESSION_KEY = "zns_notify_oauth"
#: How long a started connect flow may take; Zalo's codes live 10 minutes too.
STATE_LIFETIME = 600
#: Its own permission (docs/permissions.md): editing the account's name is not handing this
#: app the OA's right to send. Migration 0015 gave it to every holder of change_zaloaccount.
PERMISSION = "zns_notify.connect_zaloaccount"


def new_code_verifier() -> str:
    """43 characters from the URL-safe alphabet (RFC 7636 allows 43–128)."""
    return secrets.token_urlsafe(32)


def code_challenge(verifier: str) -> str:
    """S256: base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def callback_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("zns_notify:oauth_callback"))


def can_connect(user) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perm(PERMISSION))


def start(request: HttpRequest, client: ZaloClient | None = None) -> HttpResponse:
    """Remember state + verifier in the session and redirect to Zalo's permission page."""
    client = client or ZaloClient.from_settings()
    verifier, state = new_code_verifier(), secrets.token_urlsafe(24)
    request.session[SESSION_KEY] = {
        "state": state,
        "verifier": verifier,
        "user": request.user.pk,
        # Epoch seconds (the session is JSON), on Django's clock like every other deadline.
        "expires": timezone.now().timestamp() + STATE_LIFETIME,
    }
    url = client.permission_url(
        redirect_uri=callback_url(request), code_challenge=code_challenge(verifier), state=state
    )
    logger.info("Zalo OA connect started by user %s", request.user.pk)
    return HttpResponseRedirect(url)


class OAuthCallbackView(View):
    """GET /zns/oauth/callback/?code=…&oa_id=…&state=… — where Zalo sends the OA admin back."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        if not can_connect(getattr(request, "user", None)):
            request.session.pop(SESSION_KEY, None)
            return HttpResponseForbidden(
                _(
                    "Only staff allowed to connect the Zalo OA can connect an OA: sign in to "
                    "the admin with such an account and start again from the Zalo accounts page."
                ),
                content_type="text/plain; charset=utf-8",
            )
        # Single use: whatever happens next, this state cannot be presented again.
        flow = request.session.pop(SESSION_KEY, None)
        error = self._check_state(request, flow)
        if error is None and not request.GET.get("code"):
            error = _(
                "Zalo sent no authorization code (%(reason)s). Nothing was changed; start again."
            ) % {"reason": _zalo_reason(request)}
        if error is None:
            error = self._connect(request, flow["verifier"])
        if error is not None:
            logger.warning("Zalo OA connect by user %s refused: %s", request.user.pk, error)
            messages.error(request, error)
        return HttpResponseRedirect(reverse("admin:zns_notify_zaloaccount_changelist"))

    def _check_state(self, request: HttpRequest, flow) -> str | None:
        state = request.GET.get("state", "")
        if not isinstance(flow, dict) or not flow.get("state"):
            return _(
                "This connect link was not started here, or was already used. Nothing was "
                "changed; start again with “Connect Zalo OA”."
            )
        if not state or not constant_time_compare(state, flow["state"]):
            return _(
                "The connect request does not match the one started from this browser "
                "(state mismatch). Nothing was changed; start again."
            )
        if flow.get("user") != request.user.pk:
            return _(
                "The connect request was started by another user. Nothing was changed; start again."
            )
        if float(flow.get("expires", 0)) < timezone.now().timestamp():
            return _(
                "The connect request expired (after 10 minutes). Nothing was changed; start again."
            )
        return None

    def _connect(self, request: HttpRequest, verifier: str) -> str | None:
        try:
            client = ZaloClient.from_settings()
            pair = client.exchange_code(request.GET["code"], verifier)
        except (ZaloAPIError, ZnsConfigurationError) as exc:
            return _(
                "Zalo refused to connect the OA: %(error)s. Nothing was changed; start again."
            ) % {"error": exc}
        # Which OA: Zalo says, for the token it just issued. The URL's oa_id is whatever the
        # browser brought back, and may have been edited on the way.
        try:
            info = client.oa_info(access_token=pair.access_token)
        except ZaloAPIError as exc:
            return _(
                "Zalo did not say which OA the new token belongs to: %(error)s. Nothing was "
                "changed; start again."
            ) % {"error": exc}
        oa_id = str(info.get("oa_id") or info.get("oaid") or "").strip()[:64]
        if not oa_id:
            return _(
                "Zalo did not say which OA the new token belongs to (no oa_id). Nothing was "
                "changed; start again."
            )
        claimed = request.GET.get("oa_id", "").strip()
        if claimed and claimed != oa_id:
            return _(
                "The callback named OA %(claimed)s, but Zalo says the token belongs to OA "
                "%(oa)s. Nothing was changed; start again from this browser."
            ) % {"claimed": claimed[:64], "oa": oa_id}
        account = store_token_pair(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
            oa_id=oa_id,
            name=str(info.get("name") or "").strip()[:200],
        )
        logger.info("Zalo OA %s connected by user %s", account.oa_id or "-", request.user.pk)
        messages.success(
            request, _("Zalo OA %(oa)s connected.") % {"oa": account.oa_id or account.pk}
        )
        return None


def _zalo_reason(request: HttpRequest) -> str:
    for key in ("error_description", "error_reason", "error", "error_code"):
        if request.GET.get(key):
            return request.GET[key][:200]
    return _("no reason given")
