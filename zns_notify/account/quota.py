"""The worker's gate before each send (sending holds and the OA's quota), and the ledger.

- **Quota ledger** (:class:`~zns_notify.models.ZaloQuota`, one row per OA and Vietnam day):
  refreshed from ``GET /message/quota`` by a django-q2 schedule and from the quota every
  accepted send echoes; a ``-144`` answer marks the day used up. When the day's remaining
  quota is zero, messages wait for the reset at midnight (Asia/Ho_Chi_Minh) without
  calling Zalo.
- **Holds** (:class:`~zns_notify.models.SendingHold`, written and ended by
  :mod:`zns_notify.account.holds`): while one is active on the account or the message's
  template, the message waits until it ends without calling Zalo.

Everything here runs on the worker; the event hot path never reads these tables.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from zns_notify.account.tokens import current_account, get_access_token
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.lib import clock
from zns_notify.models import Message, SendingHold, ZaloAccount, ZaloQuota
from zns_notify.zalo.client import SendResult, ZaloAPIError, ZaloClient, as_int
from zns_notify.zalo.errors import DAILY_QUOTA_EXCEEDED

logger = logging.getLogger(__name__)

#: Sent when today's remaining quota went up (``account``, ``remaining``: the new value,
#: ``now``). The policy engine listens: what its quota-priority rule kept back for more
#: important tags may go (:func:`zns_notify.policy.quota_release.release_quota_deferrals`). A
#: signal, because the policy sits above the account and may ask it, not the other way.
quota_raised = Signal()


class Deferred(Exception):
    """The gate says: do not call Zalo now, try again at ``until``."""

    def __init__(self, reason: str, *, until: dt.datetime, category: str, code: int | None = None):
        super().__init__(reason)
        self.until = until
        self.category = category
        self.code = code


# -- the gate ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """What :func:`check` reads about an account: its active holds and today's ledger row.
    A batch of messages reads it once (:func:`standing`) instead of twice per message."""

    holds: tuple[SendingHold, ...]
    day: ZaloQuota | None

    def hold_for(self, message: Message) -> SendingHold | None:
        """The longest active hold on the whole account or on the message's template."""
        return next(
            (
                hold
                for hold in self.holds
                if hold.template_id is None or hold.template_id == message.template_id
            ),
            None,
        )


def standing(account: ZaloAccount, now: dt.datetime | None = None) -> Standing:
    now = now or timezone.now()
    holds = SendingHold.objects.filter(account=account, until__gt=now).order_by("-until")
    day = (
        ZaloQuota.objects.filter(account=account, day=clock.local_day(now))
        .only("remaining_quota", "daily_quota", "remaining_promotion_quota", "unlimited")
        .first()
    )
    return Standing(holds=tuple(holds), day=day)


def check(
    account: ZaloAccount,
    message: Message,
    now: dt.datetime | None = None,
    *,
    known: Standing | None = None,
) -> None:
    """Raise :class:`Deferred` if ``message`` must wait (an active hold, or no quota left).
    ``known``: the account's standing read earlier in this batch (else read now)."""
    now = now or timezone.now()
    if known is None:
        known = standing(account, now)
    hold = known.hold_for(message)
    if hold is not None:
        until = timezone.localtime(hold.until).strftime("%Y-%m-%d %H:%M")
        raise Deferred(
            _("Sending is on hold until %(until)s: %(reason)s")
            % {"until": until, "reason": hold.reason},
            until=hold.until,
            category="config",
            code=hold.error_code,
        )
    if message.development_mode:
        return  # development-mode sends do not use the daily quota
    day = known.day
    if day is not None and day.remaining_quota == 0:
        daily = day.daily_quota if day.daily_quota is not None else "?"
        raise Deferred(
            _("The OA's daily quota (%(quota)s) is used up; waiting for the reset at midnight.")
            % {"quota": daily},
            until=clock.next_local_day(now),
            category="reschedule",
        )


# -- the ledger ----------------------------------------------------------------------------

#: Our field -> Zalo's key in /message/quota (zns-api.md §6; strings or numbers).
QUOTA_FIELDS = {
    "daily_quota": "dailyQuota",
    "remaining_quota": "remainingQuota",
    "daily_promotion_quota": "dailyQuotaPromotion",
    "remaining_promotion_quota": "remainingQuotaPromotion",
    "monthly_promotion_quota": "monthlyPromotionQuota",
    "remaining_monthly_promotion_quota": "remainingMonthlyPromotionQuota",
}


def quota_value(value: Any) -> int | None:
    """One of Zalo's quota figures, or None when it sets no limit: a negative number (``-1``),
    empty or missing. The 2026 "unrestricted" tier's value is undocumented (zns-api.md §6):
    none of these may ever read as 0, which would hold every send until midnight."""
    number = as_int(value)
    return number if number is not None and number >= 0 else None


def _day_row(account: ZaloAccount, day: dt.date) -> ZaloQuota:
    try:
        with transaction.atomic():
            row, _created = ZaloQuota.objects.get_or_create(account=account, day=day)
    except IntegrityError:
        row = ZaloQuota.objects.get(account=account, day=day)
    return row


def record_quota(
    account: ZaloAccount, data: dict[str, Any], now: dt.datetime | None = None
) -> ZaloQuota:
    """Store a /message/quota answer as today's ledger row (it is authoritative)."""
    now = now or timezone.now()
    row = _day_row(account, clock.local_day(now))
    values: dict[str, Any] = {"updated_at": now}
    for name, key in QUOTA_FIELDS.items():
        values[name] = quota_value(data.get(key))
    # Neither a daily nor a remaining figure: Zalo sets this OA no daily limit.
    values["unlimited"] = values["daily_quota"] is None and values["remaining_quota"] is None
    ZaloQuota.objects.filter(pk=row.pk).update(**values)
    was_used_up, before = row.remaining_quota == 0, row.remaining_quota
    row.refresh_from_db()
    if was_used_up and (row.remaining_quota or row.unlimited):
        _release_quota_waits(now)
    _announce_raise(account, before, row.remaining_quota, now)
    return row


def _announce_raise(
    account: ZaloAccount, before: int | None, after: int | None, now: dt.datetime
) -> None:
    """More quota left than before: say so (:data:`quota_raised`)."""
    if before is not None and after is not None and after > before:
        quota_raised.send(sender=ZaloQuota, account=account, remaining=after, now=now)


def _release_quota_waits(now: dt.datetime) -> None:
    """Zalo raised the quota during the day (a new tier): the messages the ledger sent to
    wait for midnight may go now, both those it held back and those Zalo refused with -144."""
    waiting = Q(error_code__isnull=True) | Q(error_code=DAILY_QUOTA_EXCEEDED)
    Message.objects.filter(
        waiting,
        status=Message.Status.QUEUED,
        error_category="reschedule",
        next_attempt_at__gt=now,
        development_mode=False,
    ).update(next_attempt_at=now)


def record_daily_quota(
    account: ZaloAccount, daily: int, previous: int | None = None, now: dt.datetime | None = None
) -> ZaloQuota:
    """Zalo changed the OA's daily quota (webhook ``change_oa_daily_quota``): today's ledger
    takes the new value, and a known remaining quota moves by the same step."""
    now = now or timezone.now()
    row = _day_row(account, clock.local_day(now))
    if quota_value(daily) is None:  # -1: moved to a tier without a daily limit
        values: dict[str, Any] = dict(
            daily_quota=None, remaining_quota=None, unlimited=True, updated_at=now
        )
    else:
        values = {"daily_quota": daily, "unlimited": False, "updated_at": now}
        before = row.daily_quota if row.daily_quota is not None else quota_value(previous)
        if row.remaining_quota is not None and before is not None:
            values["remaining_quota"] = max(row.remaining_quota + daily - before, 0)
    ZaloQuota.objects.filter(pk=row.pk).update(**values)
    if row.remaining_quota == 0 and (values.get("remaining_quota") or values["unlimited"]):
        _release_quota_waits(now)
    _announce_raise(account, row.remaining_quota, values.get("remaining_quota"), now)
    row.refresh_from_db()
    return row


def record_send(account: ZaloAccount, result: SendResult, now: dt.datetime | None = None) -> None:
    """Today's remaining quota as an accepted send echoed it.

    Answers of concurrent sends arrive in any order, so within a day the remaining quota
    only goes down, unless the daily quota itself changed (the OA moved up a tier).
    """
    if result.remaining_quota is None:
        return  # development-mode answers carry no quota
    now = now or timezone.now()
    row = _day_row(account, clock.local_day(now))
    update = ZaloQuota.objects.filter(pk=row.pk)
    remaining, daily = quota_value(result.remaining_quota), quota_value(result.daily_quota)
    if remaining is None:  # -1: no daily limit (never "0 left")
        update.update(daily_quota=None, remaining_quota=None, unlimited=True, updated_at=now)
        if row.remaining_quota == 0:
            _release_quota_waits(now)
        return
    if daily is not None:
        changed = update.filter(
            ~Q(daily_quota=daily) | Q(daily_quota__isnull=True) | Q(unlimited=True)
        )
        if changed.update(
            daily_quota=daily, remaining_quota=remaining, unlimited=False, updated_at=now
        ):
            return
    update.filter(Q(remaining_quota__isnull=True) | Q(remaining_quota__gt=remaining)).update(
        remaining_quota=remaining, unlimited=False, updated_at=now
    )


def record_exhausted(account: ZaloAccount, now: dt.datetime | None = None) -> None:
    """Zalo answered -144: nothing is left today, whatever the ledger thought."""
    now = now or timezone.now()
    row = _day_row(account, clock.local_day(now))
    ZaloQuota.objects.filter(pk=row.pk).update(remaining_quota=0, unlimited=False, updated_at=now)


def refresh_quota() -> int | None:
    """django-q2 task: read /message/quota for the connected account into the ledger.

    Returns today's remaining quota (None when no account is connected or Zalo failed:
    the schedule tries again later).
    """
    client = ZaloClient.from_settings()
    try:
        account = current_account()
        data = client.quota(access_token=get_access_token(client))
    except (ZaloAPIError, ZnsConfigurationError) as exc:
        logger.warning("zns quota refresh failed: %s", exc)
        return None
    return record_quota(account, data).remaining_quota
