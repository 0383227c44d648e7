"""Worker side: claim one queued message, send it to Zalo, record the outcome.

Never raises for provider errors: the database decides what is sent and when it is
retried; the queue only carries keys (see design.md §2).
"""

from __future__ import annotations

import datetime as dt
import logging
import random

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import signals
from .conf import app_settings
from .exceptions import ZnsConfigurationError
from .models import Message, MessageEvent
from .phones import mask
from .tokens import get_access_token, refresh_access_token
from .zalo.client import SendResult, ZaloAPIError, ZaloClient
from .zalo.errors import ErrorAction

logger = logging.getLogger(__name__)

MAX_BACKOFF = dt.timedelta(hours=1)
RETRYABLE = {ErrorAction.RETRY, ErrorAction.RESCHEDULE, ErrorAction.REFRESH}


def claim(key: str) -> Message | None:
    """Atomically move a due message from queued to sending; None if someone else has it."""
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimed = (
        Message.objects.filter(due, idempotency_key=key, status=Message.Status.QUEUED)
        .update(status=Message.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    )
    if not claimed:
        return None
    return Message.objects.select_related("template").get(idempotency_key=key)


def deliver(key: str, client: ZaloClient | None = None) -> Message | None:
    """Send the message with this idempotency key if it is due; return it, or None if not ours."""
    message = claim(key)
    if message is None:
        return None
    client = client or ZaloClient.from_settings()
    try:
        result = _send(message, client)
    except ZaloAPIError as exc:
        _record_error(message, exc.action, exc.code, str(exc))
    except ZnsConfigurationError as exc:
        # No connected account: wait for an admin instead of failing the customer's message.
        _record_error(message, ErrorAction.RESCHEDULE, None, str(exc))
    else:
        _record_sent(message, result)
    return message


def _send(message: Message, client: ZaloClient) -> SendResult:
    template = message.template
    if template is None or not template.is_sendable:
        raise ZaloAPIError(
            _("Template %(id)s is not enabled on Zalo.") % {"id": message.zalo_template_id},
            action=ErrorAction.CONFIG,
            sent=False,
        )
    token = get_access_token(client)
    kwargs = dict(
        phone=message.phone,
        template_id=message.zalo_template_id,
        data=message.params,
        tracking_id=message.idempotency_key,
        development=message.development_mode,
    )
    try:
        return client.send_template(access_token=token, **kwargs)
    except ZaloAPIError as exc:
        if exc.action != ErrorAction.REFRESH:
            raise
    # Zalo rejected the token: rotate it once (or pick up another worker's rotation).
    token = refresh_access_token(client, stale_token=token)
    return client.send_template(access_token=token, **kwargs)


def _finish(message: Message, **fields) -> bool:
    """Write the outcome only if we still own the row (a lease sweep may have taken it)."""
    for name, value in fields.items():
        setattr(message, name, value)
    return bool(
        Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(**fields)
    )


def _record_sent(message: Message, result: SendResult) -> None:
    now = timezone.now()
    with transaction.atomic():
        if not _finish(
            message, status=Message.Status.SENT, msg_id=result.msg_id, sent_at=now,
            error_code=None, error_category="", error_message="", next_attempt_at=None,
        ):
            return
        MessageEvent.objects.create(
            message=message, kind=MessageEvent.Kind.ATTEMPT, at=now, status=Message.Status.SENT,
            detail=_("Accepted by Zalo as %(msg_id)s.") % {"msg_id": result.msg_id},
        )
        transaction.on_commit(
            lambda: signals.announce(signals.message_sent, message=message)
        )
    logger.info("zns message %s sent to %s as %s", message.pk, mask(message.phone), result.msg_id)


def _record_error(message: Message, action: ErrorAction, code: int | None, reason: str) -> None:
    now = timezone.now()
    retry = action in RETRYABLE and message.attempts < app_settings.MAX_ATTEMPTS
    fields = dict(error_code=code, error_category=str(action), error_message=reason[:2000])
    if retry:
        fields.update(status=Message.Status.QUEUED, next_attempt_at=now + backoff(message.attempts))
    else:
        fields.update(status=Message.Status.FAILED, next_attempt_at=None)
    with transaction.atomic():
        if not _finish(message, **fields):
            return
        MessageEvent.objects.create(
            message=message, kind=MessageEvent.Kind.ATTEMPT, at=now, status=fields["status"],
            error_code=code, detail=reason[:2000],
        )
        if not retry:
            transaction.on_commit(
                lambda: signals.announce(
                    signals.message_failed, message=message, error_code=code,
                    category=str(action), reason=reason,
                )
            )
    logger.warning(
        "zns message %s attempt %s: %s (%s)%s", message.pk, message.attempts, reason, action,
        " — will retry" if retry else "",
    )


def backoff(attempts: int) -> dt.timedelta:
    """Exponential with ±20% jitter, so retries of a burst do not hit Zalo together."""
    seconds = app_settings.RETRY_BACKOFF * (2 ** max(attempts - 1, 0))
    seconds = min(seconds, MAX_BACKOFF.total_seconds()) * random.uniform(0.8, 1.2)
    return dt.timedelta(seconds=seconds)
