"""Money, numbers, dates and durations as operators read them in the active language:
Vietnamese (``1.234.567 ₫``, ``22/11/2026``, ``95,3 %``) or English (``1,234,567 VND``,
``2026-11-22``, ``95.3%``). Used by the reports and quota pages; Django's own vi formats
spell dates out in words and use no ₫ sign, hence this small module."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation
from django.utils.translation import gettext as _


def is_vietnamese() -> bool:
    return (translation.get_language() or "").lower().startswith("vi")


def number(value: int | float | Decimal | None, decimals: int = 0) -> str:
    """Grouped thousands (vi: ``1.234.567,5``; en: ``1,234,567.5``); "—" for None."""
    if value is None:
        return "—"
    quantum = Decimal(1).scaleb(-decimals)
    amount = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    text = f"{amount:,.{decimals}f}"
    if is_vietnamese():
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def money(value: int | float | Decimal | None) -> str:
    """An amount of đồng, rounded to the đồng: ``1.234.567 ₫`` / ``1,234,567 VND``."""
    if value is None:
        return "—"
    return f"{number(value)} ₫" if is_vietnamese() else f"{number(value)} VND"


def percent(ratio: float | None, decimals: int = 1) -> str:
    """0.953 -> ``95,3 %`` / ``95.3%``; "—" when there is nothing to divide."""
    if ratio is None:
        return "—"
    text = number(ratio * 100, decimals)
    return f"{text} %" if is_vietnamese() else f"{text}%"


def date(value: dt.date | None) -> str:
    """vi: ``22/11/2026``; en: ``2026-11-22`` (unambiguous wherever the reader is)."""
    if value is None:
        return "—"
    return value.strftime("%d/%m/%Y") if is_vietnamese() else value.isoformat()


def short_date(value: dt.date) -> str:
    """Chart labels: ``22/11`` / ``11-22``."""
    return value.strftime("%d/%m") if is_vietnamese() else value.strftime("%m-%d")


def time_of_day(value: dt.datetime) -> str:
    return value.strftime("%H:%M")


def datetime(value: dt.datetime | None) -> str:
    """A local date and time: ``22/11/2026 10:05`` / ``2026-11-22 10:05``."""
    if value is None:
        return "—"
    return f"{date(value.date())} {time_of_day(value)}"


def seconds(value: float | None, decimals: int = 1) -> str:
    """A short time to a tenth of a second: ``1.5 s`` / ``1,5 giây``; "—" for None."""
    if value is None:
        return "—"
    return _("%(seconds)s s") % {"seconds": number(max(value, 0.0), decimals)}


def duration(seconds: float | None) -> str:
    """A short human duration: ``45 s``, ``3 min 20 s``, ``2 h 5 min``."""
    if seconds is None:
        return "—"
    seconds = max(int(round(seconds)), 0)
    if seconds < 60:
        return _("%(s)d s") % {"s": seconds}
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return (
            _("%(m)d min %(s)d s") % {"m": minutes, "s": secs}
            if secs
            else _("%(m)d min") % {"m": minutes}
        )
    hours, minutes = divmod(minutes, 60)
    return (
        _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
        if minutes
        else _("%(h)d h") % {"h": hours}
    )
