"""Receiver for Zalo's signed webhooks at /zns/webhook/ (docs/webhooks.md).

Zalo signs ``X-ZEvent-Signature: mac=<sha256(app_id + raw body + timestamp + OA secret key)>``
(plain SHA-256, not HMAC; :mod:`zns_notify.zalo.webhooks` computes and reads it), so the
view reads the raw body itself: no parser, no CSRF (Zalo has no token), no login. This
module is the policy around it: which keys, how old a timestamp, what to answer. In order:

- a body over ``WEBHOOK_MAX_BODY`` → 413, unread;
- not a UTF-8 JSON object → 400;
- no key configured → 503 (Zalo retries, and an operator sees the error in the log);
- a bad or missing signature, or another ``app_id`` → 400 "Invalid signature.";
- a signed ``timestamp`` outside ``WEBHOOK_MAX_AGE`` → 400;
- then the event is stored and applied (:mod:`zns_notify.receipts.inbox`): 200, also for an
  event we do not handle or a redelivery; 500 when processing fails, so Zalo retries;
  503 with ``Retry-After`` when the database connection is lost (a restart, a failover):
  nothing could be stored, and Zalo posts the event again.

A rejection changes nothing and logs one line naming the setting to check; the caller only
learns the class of the problem.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from typing import Any

from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError, ZnsWebhookValidationFailure
from zns_notify.lib import reconnect
from zns_notify.receipts import sql
from zns_notify.receipts.inbox import receive
from zns_notify.zalo import webhooks as zalo_webhooks

try:
    from django.contrib.auth.decorators import login_not_required
except ImportError:  # Django < 5.1

    def login_not_required(view):  # type: ignore[no-redef]
        return view


logger = logging.getLogger(__name__)

#: A signed timestamp may be this far in the future (the two clocks disagree a little).
CLOCK_SKEW = dt.timedelta(minutes=5)
SECRET_SETTINGS = 'ZNS_NOTIFY["OA_SECRET_KEY"] / ["OA_SECRET_KEYS"]'
#: Seconds a 503 asks the sender to wait (``Retry-After``) while the database is away. Zalo
#: retries any answer but 2xx on its own schedule (+30 s first, zns-api.md §7); the header
#: is for a proxy or another sender that reads it.
RETRY_AFTER = 30


def verify(body: bytes, payload: dict[str, Any], header: str, keys: list[str] | None = None) -> str:
    """Return the event's app id, or raise ZnsWebhookValidationFailure.

    Every key of ``keys`` (default: the configured OA secret keys) is tried, each in
    constant time. The message names the setting to check; it goes to the log, never to
    the caller.
    """
    keys = app_settings.WEBHOOK_SECRET_KEYS if keys is None else keys
    digest = zalo_webhooks.signature_digest(header)
    if digest is None:
        raise ZnsWebhookValidationFailure(
            "X-ZEvent-Signature is missing or is not mac=<64 hex characters>."
        )
    configured = app_settings.APP_ID
    # An event without app_id is signed with ours (Zalo's first term is the app id).
    app_id = zalo_webhooks.signed_app_id(payload)
    app_id = configured if app_id is None else app_id
    # Bytes: compare_digest refuses non-ASCII str, and a caller controls both sides' input.
    if not hmac.compare_digest(app_id.encode(), configured.encode()):
        raise ZnsWebhookValidationFailure('Webhook app_id does not match ZNS_NOTIFY["APP_ID"].')
    if not zalo_webhooks.signature_matches(digest, app_id, body, payload, keys):
        raise ZnsWebhookValidationFailure(
            f"Webhook signature mismatch: check {SECRET_SETTINGS} (the OA Secret Key of the "
            "app's webhook settings, not the app secret), and that no proxy rewrites the body."
        )
    return app_id


def signed_time(payload: dict[str, Any], now: dt.datetime | None = None) -> dt.datetime | None:
    """The signed ``timestamp`` (epoch ms); raise if outside the window ``WEBHOOK_MAX_AGE``."""
    signed_at = zalo_webhooks.signed_at(payload)
    max_age = app_settings.WEBHOOK_MAX_AGE
    if max_age <= 0:
        return signed_at
    if signed_at is None:
        raise ZnsWebhookValidationFailure(
            'Webhook has no valid signed timestamp; ZNS_NOTIFY["WEBHOOK_MAX_AGE"] = 0 would '
            "accept it."
        )
    now = now or timezone.now()
    if signed_at < now - dt.timedelta(seconds=max_age) or signed_at > now + CLOCK_SKEW:
        raise ZnsWebhookValidationFailure(
            f"Webhook timestamp {signed_at.isoformat()} is outside the window of "
            f'ZNS_NOTIFY["WEBHOOK_MAX_AGE"] = {max_age} s (or over {CLOCK_SKEW} ahead); '
            "check this server's clock, or raise the setting."
        )
    return signed_at


def _reject(status: int, answer: str, reason: str) -> HttpResponse:
    logger.warning("Rejected Zalo webhook: %s", reason)
    return HttpResponse(answer, status=status, content_type="text/plain; charset=utf-8")


@method_decorator([csrf_exempt, login_not_required], name="dispatch")
class ZaloWebhookView(View):
    http_method_names = ["post"]

    @classmethod
    def as_view(cls, **initkwargs):
        # Under ATOMIC_REQUESTS a failed event's audit row would roll back with the request.
        return transaction.non_atomic_requests(super().as_view(**initkwargs))

    def post(self, request: HttpRequest) -> HttpResponse:
        limit = app_settings.WEBHOOK_MAX_BODY
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _reject(400, "Bad Content-Length.", "Content-Length is not a number.")
        if length > limit:  # refused before reading it
            return _reject(
                413,
                "Body too large.",
                f'body of {length} bytes is over ZNS_NOTIFY["WEBHOOK_MAX_BODY"] = {limit}.',
            )
        # Never more than the limit (+1 to tell "too large"), even for a chunked body without
        # a Content-Length: request.body would read all of it first.
        body = request.read(limit + 1)
        if len(body) > limit:
            return _reject(
                413,
                "Body too large.",
                f'body of {len(body)} bytes is over ZNS_NOTIFY["WEBHOOK_MAX_BODY"] = {limit}.',
            )
        payload = zalo_webhooks.parse_payload(body)
        if payload is None:
            return _reject(
                400,
                "Body must be a JSON object.",
                "body is not a UTF-8 JSON object (a proxy must pass it unmodified).",
            )
        try:
            keys = app_settings.WEBHOOK_SECRET_KEYS
            if not keys:
                raise ZnsConfigurationError(f"set {SECRET_SETTINGS} to accept webhooks.")
            app_settings.APP_ID  # noqa: B018 (raises, naming the setting, when unset)
        except ZnsConfigurationError as exc:
            logger.error("Zalo webhook not accepted, zns_notify is not configured: %s", exc)
            return HttpResponse("Not configured.", status=503, content_type="text/plain")
        try:
            app_id = verify(body, payload, request.headers.get("X-ZEvent-Signature", ""), keys)
        except ZnsWebhookValidationFailure as exc:
            # One answer for every signature problem: the caller learns nothing to probe with.
            return _reject(400, "Invalid signature.", str(exc))
        try:
            signed_at = signed_time(payload)
        except ZnsWebhookValidationFailure as exc:
            return _reject(400, "Stale or missing timestamp.", str(exc))
        try:
            outcome = receive(body, payload, app_id, signed_at)
        except DatabaseError as exc:
            alias = sql.connection().alias
            if not reconnect.connection_lost(exc, alias):  # logged by receive()
                return HttpResponse("Processing failed.", status=500, content_type="text/plain")
            return _database_away(payload, exc, alias)
        except Exception:  # logged by receive(); Zalo retries a 500
            return HttpResponse("Processing failed.", status=500, content_type="text/plain")
        return JsonResponse({"ok": True, "outcome": outcome})


def _database_away(payload: dict[str, Any], exc: DatabaseError, alias: str) -> HttpResponse:
    """The database went away (a restart, a failover): the event could not be stored, so
    Zalo must post it again. One warning line per event, no traceback: during an outage
    every receipt comes here. The broken connection is dropped, so the next request
    opens a new one."""
    reconnect.reconnect(alias)
    logger.warning(
        "Zalo webhook %s not stored, the database is unavailable (%s); answered 503 so "
        "that Zalo posts it again",
        zalo_webhooks.text(payload.get("event_name"), 64),
        type(exc).__name__,
    )
    response = HttpResponse(
        "Database unavailable, post again later.", status=503, content_type="text/plain"
    )
    response["Retry-After"] = str(RETRY_AFTER)
    return response
