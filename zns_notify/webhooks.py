"""Receiver for Zalo's signed webhooks at /zns/webhook/.

Zalo signs ``X-ZEvent-Signature: mac=<sha256(app_id + raw body + timestamp + OA secret key)>``
(plain SHA-256, not HMAC; zns-api.md §7). A request that fails verification is answered
400 and changes nothing; a processing error is a 500 so Zalo retries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from . import signals
from .conf import app_settings
from .exceptions import ZnsWebhookValidationFailure
from .models import Message, MessageEvent

try:
    from django.contrib.auth.decorators import login_not_required
except ImportError:  # Django < 5.1
    def login_not_required(view):  # type: ignore[no-redef]
        return view

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
ADVANCEABLE_TO_DELIVERED = (Message.Status.QUEUED, Message.Status.SENDING, Message.Status.SENT)


def expected_signature(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode())
    return digest.hexdigest()


SIGNATURE = re.compile(r"^(?:mac=)?([0-9a-fA-F]{64})$")


def verify(body: bytes, payload: dict[str, Any], header: str) -> None:
    """Raise ZnsWebhookValidationFailure unless the signature matches.

    The message names the setting to check; it goes to the log, never to the caller.
    """
    match = SIGNATURE.match(header.strip())
    if not match:
        raise ZnsWebhookValidationFailure(
            "X-ZEvent-Signature is missing or is not mac=<64 hex characters>."
        )
    app_id = str(payload.get("app_id") or "")
    # Bytes: compare_digest refuses non-ASCII str, and a caller controls both sides' input.
    if not hmac.compare_digest(app_id.encode(), app_settings.APP_ID.encode()):
        raise ZnsWebhookValidationFailure('Webhook app_id does not match ZNS_NOTIFY["APP_ID"].')
    wanted = expected_signature(
        app_id, body, str(payload.get("timestamp") or ""), app_settings.OA_SECRET_KEY
    )
    if not hmac.compare_digest(match.group(1).lower().encode(), wanted.encode()):
        raise ZnsWebhookValidationFailure(
            'Webhook signature mismatch: check ZNS_NOTIFY["OA_SECRET_KEY"] (the OA Secret Key '
            "of the app's webhook settings, not the app secret)."
        )


@method_decorator([csrf_exempt, login_not_required], name="dispatch")
class ZaloWebhookView(View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        body = request.body
        if len(body) > MAX_BODY_BYTES:
            return HttpResponseBadRequest("Body too large.")
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict):
                raise ValueError("not an object")
        except (ValueError, UnicodeDecodeError):
            logger.warning("Rejected Zalo webhook: body is not a JSON object.")
            return HttpResponseBadRequest("Body must be a JSON object.")
        try:
            verify(body, payload, request.headers.get("X-ZEvent-Signature", ""))
        except ZnsWebhookValidationFailure as exc:
            logger.warning("Rejected Zalo webhook: %s", exc)
            # One answer for every signature problem: the caller learns nothing to probe with.
            return HttpResponseBadRequest("Invalid signature.")
        handler = HANDLERS.get(str(payload.get("event_name") or ""))
        if handler is not None:
            handler(payload)
        return JsonResponse({"ok": True})


def handle_received(payload: dict[str, Any]) -> None:
    """user_received_message: the message reached the customer's phone."""
    message_data = payload.get("message")
    if not isinstance(message_data, dict):
        logger.warning("Zalo receipt without a message object ignored.")
        return
    msg_id = str(message_data.get("msg_id") or "")
    tracking_id = str(message_data.get("tracking_id") or "")
    delivered_at = _from_ms(message_data.get("delivery_time")) or timezone.now()
    with transaction.atomic():
        message = _find(msg_id, tracking_id)
        if message is None:
            logger.info("Zalo receipt for unknown message %s ignored.", msg_id)
            return
        moved = Message.objects.filter(pk=message.pk, status__in=ADVANCEABLE_TO_DELIVERED).update(
            status=Message.Status.DELIVERED, delivered_at=delivered_at
        )
        if not moved:
            return  # a repeat, or a message already final: status only moves forward
        message.status, message.delivered_at = Message.Status.DELIVERED, delivered_at
        MessageEvent.objects.create(
            message=message, kind=MessageEvent.Kind.RECEIPT, at=timezone.now(),
            status=Message.Status.DELIVERED, detail=f"user_received_message {msg_id}",
        )
        transaction.on_commit(
            lambda: signals.announce(
                signals.message_delivered, message=message, delivered_at=message.delivered_at
            )
        )


def _find(msg_id: str, tracking_id: str) -> Message | None:
    if msg_id:
        found = Message.objects.select_for_update().filter(msg_id=msg_id).first()
        if found:
            return found
    if tracking_id:
        return Message.objects.select_for_update().filter(idempotency_key=tracking_id).first()
    return None


def _from_ms(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


HANDLERS = {"user_received_message": handle_received}
