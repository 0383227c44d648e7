"""The OA's sending quality and where its daily quota sits on Zalo's tier ladder.

Zalo rates an OA's sending quality from its recipients' reports (``GET /quality``: the last
48 hours and the last 7 days, ``HIGH``/``MEDIUM``/``LOW``/``UNDEFINED``) and moves an OA
whose quality is low down its tier ladder, which halves the daily quota or more
(zns-api.md §6). The django-q2 schedule ``zns_notify.tasks.refresh_quality`` reads the
quality into :class:`~zns_notify.models.ZaloQuality`; the tier is the ledger's latest daily
quota (``/message/quota``, the sends' echoes, ``change_oa_daily_quota``) placed on the ladder
in force. The quota page shows both, and warns before a drop (:func:`warning_reason`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from zns_notify.account.tokens import current_account, get_access_token
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.lib import clock
from zns_notify.models import ZaloAccount, ZaloQuality, ZaloQuota
from zns_notify.zalo.client import ZaloAPIError, ZaloClient

logger = logging.getLogger(__name__)

Level = ZaloQuality.Level


# -- the ladder ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ladder:
    """Zalo's daily quota tiers from ``since`` on: lowest (the penalty tier) first; a step
    of None is the tier without a daily limit."""

    name: str
    since: dt.date
    steps: tuple[int | None, ...]


#: From 2024-03-12 (help.nxlink.ai, zns-api.md §6).
LADDER_2024 = Ladder(
    "2024", dt.date(2024, 3, 12), (500, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 500_000)
)
#: The ZBS era, from 2026-01-16: its top tier has no daily limit ("unrestricted").
LADDER_ZBS = Ladder("ZBS", dt.date(2026, 1, 16), (1_000, 10_000, 20_000, 50_000, None))


def ladder_on(day: dt.date) -> Ladder:
    """The ladder in force on ``day`` (the 2024 one before it, the oldest we know)."""
    return LADDER_ZBS if day >= LADDER_ZBS.since else LADDER_2024


@dataclass(frozen=True)
class Tier:
    """A daily quota placed on a ladder: ``daily`` None means no daily limit."""

    ladder: Ladder
    daily: int | None
    #: The quota is one of the ladder's steps (else it sits between two).
    on_ladder: bool
    #: The daily quota one step down; None when nothing is lower (the penalty tier).
    after_drop: int | None


def tier_of(daily: int | None, ladder: Ladder) -> Tier:
    """Where ``daily`` (None: no daily limit) sits on ``ladder``. A quota between two steps
    (an OA still on an older ladder's figure) drops to the step below it."""
    numbers = [step for step in ladder.steps if step is not None]
    if daily is None:
        on_ladder = None in ladder.steps
        return Tier(ladder, None, on_ladder, numbers[-1])
    below = [step for step in numbers if step < daily]
    return Tier(ladder, daily, daily in numbers, below[-1] if below else None)


# -- the warning ---------------------------------------------------------------------------

#: The levels that rank, worst first; UNDEFINED and an empty figure do not.
RANK = {Level.LOW: 0, Level.MEDIUM: 1, Level.HIGH: 2}


def warning_reason(current: str, seven_day: str) -> str:
    """Why the quality warns of a tier drop, or "": ``"low"`` (the last 48 hours are LOW),
    ``"falling"`` (the last 48 hours rank below the 7 days), ``"medium"`` (MEDIUM, one
    level above LOW), ``"week_low"`` (the 7 days are LOW and the last 48 hours have no
    level: an OA that stopped sending after complaints is still rated low)."""
    if current == Level.LOW:
        return "low"
    if current not in RANK and seven_day == Level.LOW:
        return "week_low"
    if current in RANK and seven_day in RANK and RANK[current] < RANK[seven_day]:
        return "falling"
    if current == Level.MEDIUM:
        return "medium"
    return ""


@dataclass(frozen=True)
class QualityStanding:
    """What the quota page shows of the OA's quality and tier."""

    reading: ZaloQuality | None
    #: The ladder in force today.
    ladder: Ladder
    #: The ledger's latest row with a daily figure (or "no limit"), the tier's source.
    quota: ZaloQuota | None
    tier: Tier | None
    warning: str


def standing(account: ZaloAccount, now: dt.datetime | None = None) -> QualityStanding:
    now = now or timezone.now()
    reading = ZaloQuality.objects.filter(account=account).first()
    quota = (
        ZaloQuota.objects.filter(account=account, day__lte=clock.local_day(now))
        .filter(Q(daily_quota__isnull=False) | Q(unlimited=True))
        .order_by("-day")
        .first()
    )
    ladder = ladder_on(clock.local_day(now))
    tier = tier_of(None if quota.unlimited else quota.daily_quota, ladder) if quota else None
    warning = warning_reason(reading.current, reading.seven_day) if reading else ""
    return QualityStanding(reading=reading, ladder=ladder, quota=quota, tier=tier, warning=warning)


# -- reading it from Zalo ------------------------------------------------------------------


def record_quality(
    account: ZaloAccount, reading: dict[str, str], now: dt.datetime | None = None
) -> ZaloQuality:
    """Store a ``ZaloClient.quality()`` answer as the account's reading (it replaces the
    last one: Zalo's figures are already over 48 hours and 7 days). A warning is logged
    when it starts or its reason changes, not at every hourly reading while it lasts."""
    last = ZaloQuality.objects.filter(account=account).first()
    was = warning_reason(last.current, last.seven_day) if last else ""
    row, _created = ZaloQuality.objects.update_or_create(
        account=account,
        defaults={
            "current": reading.get("current") or "",
            "seven_day": reading.get("seven_day") or "",
            "read_at": now or timezone.now(),
        },
    )
    reason = warning_reason(row.current, row.seven_day)
    if reason and reason != was:
        logger.warning(
            "zns OA quality warns of a tier drop (%s): last 48 hours %s, last 7 days %s",
            reason,
            row.current or "?",
            row.seven_day or "?",
        )
    return row


def refresh_quality() -> str | None:
    """django-q2 task: read ``GET /quality`` for the connected account.

    Returns the last 48 hours' level ("" when Zalo gave none), or None when no account is
    connected or Zalo failed: the stored reading stays, with its time, and the schedule
    tries again later.
    """
    client = ZaloClient.from_settings()
    try:
        account = current_account()
        reading = client.quality(access_token=get_access_token(client))
    except (ZaloAPIError, ZnsConfigurationError) as exc:
        logger.warning("zns quality refresh failed: %s", exc)
        return None
    return record_quality(account, reading).current
