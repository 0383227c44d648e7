"""The reconciler: when no webhook comes, ask Zalo's status API.

A message Zalo accepted ("sent") normally becomes "delivered" through the signed
``user_received_message`` webhook. Webhooks get lost (the site was down past Zalo's
retries, the event is switched off in the app's console), so a django-q2 Schedule runs
:func:`reconcile` every few minutes. It takes sent messages without a receipt,
``RECONCILE_AFTER`` seconds after the send at the earliest, oldest first, at most
``RECONCILE_BATCH`` per run and ``RECONCILE_RATE`` calls per second, and asks
``GET /message/status`` about each (zns-api.md §7):

- ``1``: delivered, at Zalo's ``delivery_time``;
- ``0``: not yet; asked again later, each wait as long as the message is old (capped at an
  hour), and no later than its timeout;
- ``0`` past the template's ``timeout`` (``DELIVERY_TIMEOUT`` when Zalo gave none), or
  ``-1`` (Zalo does not know the message): undelivered, which Zalo does not bill (§10).

Each row is claimed with a conditional UPDATE of its next check time, so two workers never
ask about the same message in one round, and outcomes go through
:mod:`zns_notify.receipts.delivery`, so a webhook that arrives meanwhile wins and no signal is sent
twice. Errors of the status API (token, quota, transport) never break a run: the message
is asked about again later; a rejected token is refreshed once through the normal path.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.conf import Conf

from zns_notify.account.tokens import (
    expire_access_token,
    get_access_token,
    must_wait,
    refresh_access_token,
)
from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError, ZnsReconnectRequired
from zns_notify.models import Message, ZaloAccount
from zns_notify.receipts.delivery import record_delivered, record_undelivered
from zns_notify.zalo.client import ZaloAPIError, ZaloClient, ZaloGrantRejected, as_int
from zns_notify.zalo.errors import ErrorAction

logger = logging.getLogger(__name__)

#: The longest wait between two checks of one message.
MAX_INTERVAL = dt.timedelta(hours=1)
#: A claimed message whose worker died before recording the answer is due again after this.
LEASE = dt.timedelta(minutes=10)
#: Consecutive failed status calls after which a run stops (Zalo is down, or refuses us).
MAX_CONSECUTIVE_ERRORS = 3
#: How long past its timeout a message whose status cannot be read is still asked about.
ERROR_GRACE = dt.timedelta(hours=1)
#: Share of django-q2's task timeout one run may spend.
TIME_BUDGET_SHARE = 0.5

DELIVERED, PENDING, UNKNOWN = 1, 0, -1


def reconcile(
    client: ZaloClient | None = None, *, sleep=time.sleep, clock=time.monotonic
) -> dict[str, int]:
    """One reconciliation run; returns counts (checked, delivered, undelivered, pending,
    errors, lost: rows another worker or a webhook took first). Never raises for Zalo."""
    report = dict(checked=0, delivered=0, undelivered=0, pending=0, errors=0, lost=0)
    limit = app_settings.RECONCILE_BATCH
    if limit <= 0:
        return report
    now = timezone.now()
    candidates = _due(now, limit)
    if not candidates:
        return report
    wait = must_wait(ZaloAccount.objects.current())
    if wait:
        logger.info("zns reconcile: %s message(s) wait: %s", len(candidates), wait)
        return report
    client = client or ZaloClient.from_settings()
    try:
        token = get_access_token(client)
    except (ZaloAPIError, ZnsConfigurationError, ZnsReconnectRequired) as exc:
        logger.warning("zns reconcile: no access token (%s); trying again next run", exc)
        return report
    interval = 1.0 / max(app_settings.RECONCILE_RATE, 0.001)
    deadline = clock() + _time_budget()
    failures = 0
    # The rate bounds the gap between two status calls, measured from the previous call
    # and right before the next one (after its claim's queries): neither the database's
    # latency nor a slow answer lets calls come closer together, nor catch up in a burst.
    last_call = None
    for pk, seen in candidates:
        if max(clock(), last_call + interval if last_call is not None else 0) > deadline:
            break  # the rest waits for the next run
        message = _claim(pk, seen)
        if message is None:
            report["lost"] += 1
            continue
        if last_call is not None and (pause := last_call + interval - clock()) > 0:
            sleep(pause)
        last_call = clock()
        report["checked"] += 1
        try:
            data, token = _ask(client, token, message)
        except ZnsReconnectRequired as exc:
            _later(message, timezone.now())
            report["errors"] += 1
            logger.warning("zns reconcile stopped: %s", exc)
            break
        except Exception as exc:  # never let one message break the run
            if _give_up_if_long_past_timeout(message, timezone.now()):
                report["undelivered"] += 1
                continue
            _later(message, timezone.now())
            report["errors"] += 1
            failures += 1
            if isinstance(exc, (ZaloAPIError, ZnsConfigurationError)):
                logger.warning("zns reconcile: status of message %s: %s", message.pk, exc)
            else:
                logger.exception("zns reconcile: status of message %s failed", message.pk)
            if failures >= MAX_CONSECUTIVE_ERRORS:
                logger.warning("zns reconcile stopped after %s failed status calls", failures)
                break
            continue
        failures = 0
        report[_settle(message, data)] += 1
    if report["checked"]:
        logger.info("zns reconcile: %s", report)
    return report


def _due(now: dt.datetime, limit: int) -> list[tuple[int, dt.datetime | None]]:
    """Sent messages due for a check, oldest send first, with the value each claim expects."""
    first = Q(
        next_status_check_at__isnull=True,
        sent_at__lte=now - dt.timedelta(seconds=app_settings.RECONCILE_AFTER),
    )
    again = Q(next_status_check_at__lte=now)
    return list(
        Message.objects.filter(first | again, status=Message.Status.SENT)
        .exclude(msg_id="")
        .order_by("sent_at", "pk")
        .values_list("pk", "next_status_check_at")[:limit]
    )


def _claim(pk: int, seen: dt.datetime | None) -> Message | None:
    """Take the row for this round: only the worker whose UPDATE still sees ``seen`` does."""
    now = timezone.now()
    claimed = Message.objects.filter(
        pk=pk, status=Message.Status.SENT, next_status_check_at=seen
    ).update(next_status_check_at=now + LEASE, status_checked_at=now)
    if not claimed:
        return None
    return Message.objects.select_related("template").get(pk=pk)


def _ask(client: ZaloClient, token: str, message: Message) -> tuple[dict[str, Any], str]:
    """Zalo's status data for ``message``, and the token that worked (refreshed once if
    Zalo rejected the one we had)."""
    phone = "" if app_settings.HASH_PHONE else message.phone
    try:
        return client.message_status(access_token=token, msg_id=message.msg_id, phone=phone), token
    except ZaloAPIError as exc:
        if exc.action != ErrorAction.REFRESH:
            raise
    try:
        token = refresh_access_token(client, stale_token=token)
    except ZnsReconnectRequired:
        expire_access_token(token)
        raise
    except ZaloGrantRejected:
        expire_access_token(token)
        raise
    return client.message_status(access_token=token, msg_id=message.msg_id, phone=phone), token


def _settle(message: Message, data: dict[str, Any]) -> str:
    now = timezone.now()
    status = as_int(data.get("status"))
    if status == DELIVERED:
        delivered_at = _from_ms(data.get("delivery_time")) or now
        detail = _("Zalo's status API: delivered (no webhook came).")
        return "delivered" if record_delivered(message, delivered_at, detail=detail) else "lost"
    # -1 ("no such message") may only mean Zalo's lookup lags behind the send, and
    # undelivered is final (an SMS fallback may act on it): wait for the timeout as for 0.
    if status not in (PENDING, UNKNOWN):
        logger.warning(
            "zns reconcile: unexpected status %r for message %s", data.get("status"), message.pk
        )
    timeout = delivery_timeout(message)
    if message.sent_at is not None and now >= message.sent_at + timeout:
        reason = _(
            "Not delivered within the template's timeout (%(minutes)s min); Zalo does not bill it."
        ) % {"minutes": int(timeout.total_seconds() // 60)}
        if status == UNKNOWN:
            reason = _(
                "Zalo's status API does not know this message (status -1), and the "
                "template's timeout has passed."
            )
        return "undelivered" if record_undelivered(message, reason) else "lost"
    _later(message, now)
    return "pending"


def _give_up_if_long_past_timeout(message: Message, now: dt.datetime) -> bool:
    """A message whose status cannot be read is not asked about forever: no receipt within
    the timeout means not delivered (zns-api.md §7), so once the timeout is ERROR_GRACE
    behind us it is settled as undelivered."""
    if message.sent_at is None or now < message.sent_at + delivery_timeout(message) + ERROR_GRACE:
        return False
    reason = _(
        "No receipt within the template's timeout, and Zalo's status API could not be "
        "read; Zalo does not bill an undelivered message."
    )
    return record_undelivered(message, reason)


def delivery_timeout(message: Message) -> dt.timedelta:
    """How long Zalo may take to deliver: the template's ``timeout``, else DELIVERY_TIMEOUT."""
    template = message.template
    if template is not None and template.timeout_ms:
        return dt.timedelta(milliseconds=template.timeout_ms)
    return dt.timedelta(seconds=app_settings.DELIVERY_TIMEOUT)


def next_check(message: Message, now: dt.datetime) -> dt.datetime:
    """Wait as long as the message is old (so checks thin out), between RECONCILE_AFTER and
    an hour, and never past its timeout while that lies ahead."""
    sent_at = message.sent_at or now
    floor = dt.timedelta(seconds=app_settings.RECONCILE_AFTER)
    wait = min(max(now - sent_at, floor), MAX_INTERVAL)
    at = now + wait
    timeout_at = sent_at + delivery_timeout(message)
    if now < timeout_at < at:
        at = timeout_at
    return at


def _later(message: Message, now: dt.datetime) -> None:
    Message.objects.filter(pk=message.pk, status=Message.Status.SENT).update(
        next_status_check_at=next_check(message, now)
    )


def _from_ms(value: Any) -> dt.datetime | None:
    millis = as_int(value)
    if millis is None or millis <= 0:
        return None
    try:
        return dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _time_budget() -> float:
    return max(float(Conf.TIMEOUT or 60) * TIME_BUDGET_SHARE, 1.0)
