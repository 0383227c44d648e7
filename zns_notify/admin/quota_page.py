"""What the quota page (zns_notify.admin.quota) shows, formatted for the active language."""

from __future__ import annotations

import datetime as dt

from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zns_notify.conf import app_settings
from zns_notify.display import formats
from zns_notify.lib import clock
from zns_notify.models import ZaloAccount
from zns_notify.policy.rules import cap_for
from zns_notify.reports import charts
from zns_notify.reports.quota import HISTORY_DAYS, TAG_ORDER, Forecast, cap_refusals, overview

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
    }


def cap_context() -> dict:
    """The recipient cap today: each tag's cap, what it refused, and a warning when it
    refused order notices (TRANSACTION), which customers then never get."""
    caps = app_settings.RECIPIENT_DAILY_CAP
    limits = [
        (tag, formats.number(cap_for(tag, caps)) if cap_for(tag, caps) else _("No cap"))
        for tag in TAG_ORDER
    ]
    refusals = cap_refusals()
    rows = [
        (r.tag or "?", formats.number(r.messages), formats.number(r.recipients)) for r in refusals
    ]
    warning = ""
    for row in refusals:
        if row.tag == "TRANSACTION":
            warning = ngettext(
                "The recipient cap withheld %(count)s order message (TRANSACTION) today, to "
                "%(recipients)s customers: they did not get it. Raise or remove the cap on "
                "TRANSACTION (RECIPIENT_DAILY_CAP).",
                "The recipient cap withheld %(count)s order messages (TRANSACTION) today, to "
                "%(recipients)s customers: they did not get them. Raise or remove the cap on "
                "TRANSACTION (RECIPIENT_DAILY_CAP).",
                row.messages,
            ) % {
                "count": formats.number(row.messages),
                "recipients": formats.number(row.recipients),
            }
    return {
        "limits": limits,
        "rows": rows,
        "warning": warning,
        "log_url": _admin_url("admin:zns_notify_message_changelist", {"policy": "skipped"}),
        "counts_url": _today_counts_url(),
    }


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
