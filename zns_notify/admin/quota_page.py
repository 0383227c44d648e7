"""What the quota page (zns_notify.admin.quota) shows, formatted for the active language."""

from __future__ import annotations

import datetime as dt

from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zns_notify.account import quality
from zns_notify.account.quality import Ladder, Tier
from zns_notify.conf import app_settings
from zns_notify.display import formats
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.lib import clock
from zns_notify.models import ZaloAccount, ZaloQuality
from zns_notify.policy.rules import cap_for
from zns_notify.reports import charts
from zns_notify.reports.quota import (
    HISTORY_DAYS,
    TAG_ORDER,
    CapRefusals,
    Forecast,
    cap_refusals,
    overview,
)

#: The figures a day without a daily limit shows as "No limit" (Zalo sent none, or -1).
LIMITS = ("daily_quota", "remaining_quota")


def forecast_text(found: Forecast) -> str:
    if found.outcome == "unlimited":
        return _(
            "Never: Zalo sets this OA no daily limit (its quota answer had no figure, or -1); "
            "messages are never held for the quota."
        )
    if found.outcome == "unknown":
        return _(
            "Unknown: no quota reading from Zalo today yet (it is read every 30 "
            "minutes, and from every accepted send)."
        )
    if found.outcome == "used_up":
        return _("Used up: messages wait for the reset at midnight.")
    rate = formats.number(found.per_hour, 1)
    basis = (
        _("%(rate)s messages an hour over the last hour")
        if found.basis == "last_hour"
        else _("%(rate)s messages an hour on average since midnight")
    ) % {"rate": rate}
    if found.outcome == "not_today":
        return _("Not today: at %(basis)s, the quota lasts until the reset at midnight.") % {
            "basis": basis
        }
    return _("Around %(time)s today, at %(basis)s.") % {
        "time": formats.time_of_day(clock.local_now(found.runs_out_at)),
        "basis": basis,
    }


def quota_context(account: ZaloAccount) -> dict:
    found = overview(account)
    today = found.today

    def figure(name: str) -> str:
        if today and today.unlimited and name in LIMITS:
            return _("No limit")
        return formats.number(getattr(today, name) if today else None)

    cards = [
        (_("Daily quota"), figure("daily_quota")),
        (_("Used today"), figure("used")),
        (_("Remaining today"), figure("remaining_quota")),
        (_("Promotion quota today"), figure("daily_promotion_quota")),
        (_("Promotion remaining"), figure("remaining_promotion_quota")),
    ]
    days = [day for day, _row in found.history]
    quotas = [row.daily_quota if row else None for _day, row in found.history]
    used = [row.used if row else None for _day, row in found.history]
    chart = charts.quota_bars(
        days,
        quotas,
        used,
        used_label=_("used"),
        quota_label=_("daily quota"),
        title=_("Daily quota and use, last %(days)d days") % {"days": HISTORY_DAYS},
        desc=_(
            "A pale bar per day for the daily quota, a dark bar inside it for the part "
            "used; the table below has the same numbers."
        ),
    )
    history = [
        {
            "day": formats.date(day),
            "daily": _("No limit")
            if row and row.unlimited
            else formats.number(row.daily_quota if row else None),
            "used": formats.number(row.used if row else None),
            "remaining": _("No limit")
            if row and row.unlimited
            else formats.number(row.remaining_quota if row else None),
            "promotion": formats.number(row.daily_promotion_quota if row else None),
            "promotion_remaining": formats.number(row.remaining_promotion_quota if row else None),
        }
        for day, row in reversed(found.history)
    ]
    return {
        "title": _("Quota of %(account)s") % {"account": account},
        "cards": cards,
        "forecast": forecast_text(found.forecast),
        "forecast_outcome": found.forecast.outcome,
        "updated": formats.datetime(clock.local_now(today.updated_at)) if today else None,
        "monthly": (
            formats.number(today.remaining_monthly_promotion_quota),
            formats.number(today.monthly_promotion_quota),
        )
        if today and today.monthly_promotion_quota is not None
        else None,
        "chart": chart,
        "legend": [
            (charts.swatch(charts.QUOTA_COLOUR), _("daily quota")),
            (charts.swatch(charts.USED_COLOUR), _("used")),
        ],
        "history": history,
        "history_days": HISTORY_DAYS,
        "cap": cap_context(),
        "quality": quality_context(account),
    }


def quality_context(account: ZaloAccount) -> dict:
    """The OA's sending quality, its tier on Zalo's ladder, and the warning before a drop."""
    found = quality.standing(account)
    reading, tier = found.reading, found.tier

    def level(value: str) -> str:
        if reading is None:
            return _("Not read yet")
        return quality.Level(value).label if value else _("Not given by Zalo")

    return {
        "current": level(reading.current if reading else ""),
        "seven_day": level(reading.seven_day if reading else ""),
        "read": formats.datetime(clock.local_now(reading.read_at)) if reading else "",
        "daily": _daily(tier.daily) if tier else formats.number(None),
        "quota_read": formats.datetime(clock.local_now(found.quota.updated_at))
        if found.quota
        else "",
        "ladder_since": formats.date(found.ladder.since),
        "ladder": _ladder(found.ladder, tier),
        "off_ladder": _("Zalo's daily quota (%(daily)s) is not one of this ladder's steps.")
        % {"daily": _daily(tier.daily)}
        if tier and not tier.on_ladder
        else "",
        "warning": _quality_warning(found.warning, reading, tier)
        if reading and found.warning
        else "",
    }


def _daily(daily: int | None) -> str:
    return _("No limit") if daily is None else formats.number(daily)


def _ladder(ladder: Ladder, tier: Tier | None) -> list[tuple[str, bool]]:
    """Each step of the ladder in force, lowest first, and whether it is the OA's."""
    steps = []
    for index, step in enumerate(ladder.steps):
        label = _daily(step)
        if index == 0:
            label = _("%(daily)s (penalty)") % {"daily": label}
        steps.append((label, tier is not None and tier.on_ladder and step == tier.daily))
    return steps


def _quality_warning(reason: str, reading: ZaloQuality, tier: Tier | None) -> str:
    """Why the quality warns, what one tier down would leave, and what to do."""
    if reason == "low":
        why = _(
            "Zalo rates this OA's sending quality Low over the last 48 hours. Zalo moves an OA "
            "with low quality down a tier, and may disable the templates recipients report."
        )
    elif reason == "falling":
        why = _(
            "This OA's sending quality over the last 48 hours (%(current)s) is below its "
            "quality over 7 days (%(seven_day)s): recipients report more of its messages. "
            "If it keeps falling, Zalo moves the OA down a tier."
        ) % {
            "current": quality.Level(reading.current).label,
            "seven_day": quality.Level(reading.seven_day).label,
        }
    elif reason == "week_low":
        why = _(
            "Zalo rates this OA's sending quality Low over the last 7 days, and gives no level "
            "for the last 48 hours (too few messages to judge). If the quality is still low "
            "when the OA sends again, Zalo may move it down a tier."
        )
    else:
        why = _(
            "This OA's sending quality is Medium over the last 48 hours, one level above "
            "Low, at which Zalo moves an OA down a tier."
        )
    return " ".join(
        (
            why,
            _drop_text(tier),
            _(
                "Find the messages recipients report (a template, a promotion, messages sent late "
                "in the day) and pause them until the quality recovers."
            ),
        )
    )


def _drop_text(tier: Tier | None) -> str:
    if tier is None:
        return _(
            "A drop of one tier halves the daily quota or more; there is no daily quota "
            "reading from Zalo yet to say what it would become."
        )
    if tier.after_drop is None and tier.on_ladder:
        return _(
            "The OA is already on the lowest tier of Zalo's ladder (%(daily)s messages a "
            "day): it cannot drop further, but it stays there until the quality recovers."
        ) % {"daily": _daily(tier.daily)}
    if tier.after_drop is None:
        return _(
            "The daily quota (%(daily)s) is already below the lowest step of Zalo's ladder "
            "(%(lowest)s messages a day): the ladder has no lower tier to drop to."
        ) % {"daily": _daily(tier.daily), "lowest": _daily(tier.ladder.steps[0])}
    if tier.daily is None:
        return _(
            "A drop of one tier ends the OA's unlimited daily quota: it could send "
            "%(after)s messages a day."
        ) % {"after": formats.number(tier.after_drop)}
    if tier.on_ladder:
        text = _(
            "A drop of one tier halves the daily quota or more: from %(daily)s to %(after)s "
            "messages a day."
        )
    else:  # only the ladder's own steps are known to halve (or more) from one to the next
        text = _(
            "After a drop of one tier, the daily quota would fall from %(daily)s to "
            "%(after)s messages a day."
        )
    return text % {"daily": formats.number(tier.daily), "after": formats.number(tier.after_drop)}


def cap_context() -> dict:
    """The recipient cap today: each tag's cap, what it refused, and a warning when it
    refused order notices (TRANSACTION), which customers then get late or never. An
    unreadable setting is shown as such: the page is where an operator looks when the cap
    misbehaves, so it must not fail with it."""
    unreadable = ""
    limits = []
    try:
        caps = app_settings.RECIPIENT_DAILY_CAP
    except ZnsConfigurationError as exc:
        unreadable = _("unreadable (zns_notify.E040): %(reason)s") % {"reason": exc}
    else:
        limits = [
            (tag, formats.number(cap_for(tag, caps)) if cap_for(tag, caps) else _("No cap"))
            for tag in TAG_ORDER
        ]
    refusals = cap_refusals()
    rows = [
        (r.tag or "?", formats.number(r.messages), formats.number(r.recipients)) for r in refusals
    ]
    found = next((row for row in refusals if row.tag == "TRANSACTION"), None)
    return {
        "limits": limits,
        "unreadable": unreadable,
        "rows": rows,
        "warning": _order_notices_warning(found) if found else "",
        "log_url": _admin_url("admin:zns_notify_message_changelist", {"policy": "skipped"}),
        "counts_url": _today_counts_url(),
    }


def _order_notices_warning(found: CapRefusals) -> str:
    """What the cap did to today's order notices: each count in its own plural, and what
    became of them under RECIPIENT_CAP_ACTION (deferred ones still arrive, late)."""
    notices = ngettext(
        "%(count)s order message (TRANSACTION)",
        "%(count)s order messages (TRANSACTION)",
        found.messages,
    ) % {"count": formats.number(found.messages)}
    customers = ngettext(
        "%(recipients)s customer", "%(recipients)s customers", found.recipients
    ) % {"recipients": formats.number(found.recipients)}
    try:
        defer = app_settings.RECIPIENT_CAP_ACTION == "defer"
    except ZnsConfigurationError:
        defer = False  # sends fail on it and say why; the refusals counted were skips
    if defer:
        text = ngettext(
            "The recipient cap deferred %(notices)s today, to %(customers)s: it waits for "
            "the next day and arrives late. Raise or remove the cap on TRANSACTION "
            "(RECIPIENT_DAILY_CAP).",
            "The recipient cap deferred %(notices)s today, to %(customers)s: they wait for "
            "the next day and arrive late. Raise or remove the cap on TRANSACTION "
            "(RECIPIENT_DAILY_CAP).",
            found.messages,
        )
    else:
        text = ngettext(
            "The recipient cap withheld %(notices)s today, to %(customers)s: they did not "
            "get it. Raise or remove the cap on TRANSACTION (RECIPIENT_DAILY_CAP).",
            "The recipient cap withheld %(notices)s today, to %(customers)s: they did not "
            "get them. Raise or remove the cap on TRANSACTION (RECIPIENT_DAILY_CAP).",
            found.messages,
        )
    return text % {"notices": notices, "customers": customers}


def _today_counts_url() -> str:
    day = clock.local_day()
    return _admin_url(
        "admin:zns_notify_recipientdailycount_changelist",
        {"day__gte": day.isoformat(), "day__lt": (day + dt.timedelta(days=1)).isoformat()},
    )


def _admin_url(name: str, query: dict) -> str:
    try:
        return f"{reverse(name)}?{urlencode(query)}"
    except NoReverseMatch:  # a host's admin site without that page
        return ""
