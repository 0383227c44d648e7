"""Sends whose outcome is unknown, and what ``AMBIGUOUS_SENDS`` does with them.

A read timeout or a connection reset after the request went out, an HTTP 5xx, a worker
that died while sending: Zalo may have accepted the message without telling us, and Zalo
does not de-duplicate on ``tracking_id`` (zns-api.md §2). Sending again risks a duplicate,
not sending risks a lost message; the setting picks (docs/reliability.md):

- ``verify`` (default): wait ``AMBIGUOUS_GRACE`` for a delivery receipt, then send again;
- ``retry``: send again after the usual backoff (at-least-once);
- ``fail``: never send again (at-most-once), fail with the category ``ambiguous``.

Why "verify" works: a receipt is matched by ``tracking_id`` as well as ``msg_id``
(:mod:`zns_notify.receipts.matching`) and moves a queued *or sending* message to delivered,
while a worker only claims queued rows. So a receipt arriving in the grace period, or
while a dead worker's row was still "sending", settles the message and cancels the resend.

Each ambiguous attempt increments ``Message.ambiguous_sends``: every tracking_id Zalo
accepted more than once is a message with ambiguous sends, which is what makes duplicates
countable (tests/reliability/).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from zns_notify import signals
from zns_notify.conf import app_settings
from zns_notify.fallback import steps as fallback
from zns_notify.journeys.attempts import journey_of
from zns_notify.lib.delays import backoff
from zns_notify.models import Message, MessageEvent
from zns_notify.models.error_categories import AMBIGUOUS as CATEGORY
from zns_notify.zalo.client import ZaloAPIError
from zns_notify.zalo.errors import ErrorAction

logger = logging.getLogger(__name__)

VERIFY, RETRY, FAIL = "verify", "retry", "fail"


def is_ambiguous(exc: ZaloAPIError) -> bool:
    """True when the request may have been accepted although no answer says so. A Zalo
    error code is an answer (nothing was sent); so is a refused connection (``sent``
    False)."""
    return exc.sent and exc.code is None and exc.action == ErrorAction.RETRY


def record_attempt(message: Message, exc: ZaloAPIError, *, payload: dict | None = None) -> bool:
    """Record the claimed ``message``'s attempt that ended in ``exc`` (ambiguous) per the
    policy; False when the row is no longer this worker's (recovered, or a receipt came).
    ``payload``: the request and answer the timeline keeps."""
    owned = Message.objects.filter(
        pk=message.pk, attempts=message.attempts, status=Message.Status.SENDING
    )
    # The journey it went under (the run linked it before the request; a normal send again
    # after a refused token, none): a receipt that settles it later finds it linked.
    linked = {"journey": journey_of(message)} if message.journey_type else {}
    return _settle(
        owned, message, str(exc), kind=MessageEvent.Kind.ATTEMPT, payload=payload, **linked
    )


def recover(
    message: Message, now: dt.datetime | None = None, *, expired_before: dt.datetime | None = None
) -> bool:
    """A row its worker put on the wire and then stopped renewing (its lease, ``SEND_LEASE``,
    ran out): the worker died, maybe after Zalo accepted the request. ``message`` needs
    ``pk`` and ``attempts``; ``expired_before``: the lease must still have run out then (a
    slow worker's renewal wins). False if the row moved meanwhile."""
    owned = Message.objects.filter(
        pk=message.pk, attempts=message.attempts, status=Message.Status.SENDING
    )
    if expired_before is not None:
        owned = owned.filter(claimed_at__lt=expired_before)
    reason = _("its worker stopped without recording an answer")
    return _settle(owned, message, reason, kind=MessageEvent.Kind.NOTE, now=now, recovered=True)


def resend_at(attempts: int, now: dt.datetime, *, recovered: bool = False) -> dt.datetime | None:
    """When a message whose ``attempts``-th try was ambiguous is sent again; None: never."""
    policy = app_settings.AMBIGUOUS_SENDS
    if policy == FAIL or attempts >= app_settings.MAX_ATTEMPTS:
        return None
    if policy == VERIFY:
        # Never sooner than the backoff either: a long outage must not be hammered.
        grace = dt.timedelta(seconds=app_settings.AMBIGUOUS_GRACE)
        return now + max(grace, backoff(attempts))
    # retry: a recovered row already waited out its lease.
    return now if recovered else now + backoff(attempts)


def _settle(
    owned,
    message: Message,
    reason: str,
    *,
    kind: str,
    now: dt.datetime | None = None,
    recovered: bool = False,
    payload: dict | None = None,
    **linked,
) -> bool:
    now = now or timezone.now()
    retry_at = resend_at(message.attempts, now, recovered=recovered)
    status = Message.Status.QUEUED if retry_at else Message.Status.FAILED
    detail = _explain(reason, retry_at, message.attempts)[:2000]
    fields = dict(
        status=status,
        next_attempt_at=retry_at,
        error_code=None,
        error_category=CATEGORY,
        error_message=detail,
        **linked,
    )
    with transaction.atomic():
        if not owned.update(ambiguous_sends=F("ambiguous_sends") + 1, **fields):
            return False
        for name, value in fields.items():
            setattr(message, name, value)
        MessageEvent.objects.create(
            message_id=message.pk, kind=kind, at=now, status=status, detail=detail, payload=payload
        )
        if status == Message.Status.FAILED:
            signals.announce_on_commit(
                signals.message_failed,
                message=Message.objects.get(pk=message.pk),
                error_code=None,
                category=CATEGORY,
                reason=detail,
            )
            # Zalo may still deliver it: the SMS fallback waits its window for a receipt.
            fallback.schedule_after_ambiguous(message, now)
    logger.warning(
        "zns message %s attempt %s had an unknown outcome (%s)%s",
        message.pk,
        message.attempts,
        reason,
        f"; sent again at {retry_at:%Y-%m-%d %H:%M:%S}" if retry_at else "; given up",
    )
    return True


def _explain(reason: str, retry_at: dt.datetime | None, attempts: int) -> str:
    values = {
        "reason": reason,
        "at": date_format(timezone.localtime(retry_at), "DATETIME_FORMAT") if retry_at else "",
    }
    if retry_at is None and app_settings.AMBIGUOUS_SENDS == FAIL:
        return (
            _(
                "Zalo may have accepted this message (%(reason)s). It is not sent again, "
                "so that the customer never gets it twice."
            )
            % values
        )
    if retry_at is None:
        return (
            _(
                "Zalo may have accepted this message (%(reason)s). No attempts are left; "
                "it is not sent again."
            )
            % values
        )
    if app_settings.AMBIGUOUS_SENDS == VERIFY:
        return (
            _(
                "Zalo may have accepted this message (%(reason)s). Waiting until %(at)s for "
                "its delivery receipt; without one it is sent again, and the customer may "
                "get it twice."
            )
            % values
        )
    return (
        _(
            "Zalo may have accepted this message (%(reason)s). It is sent again at "
            "%(at)s; the customer may get it twice."
        )
        % values
    )
