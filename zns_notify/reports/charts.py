"""Charts drawn on the server as inline SVG: no JavaScript, no stylesheet from a CDN.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (what a screen
reader announces), a ``<title>`` on every bar or point (the tooltip, with the exact
figure), text in ``currentColor`` (readable in the admin's light and dark themes), and at
most about fifteen axis labels, whatever the number of days. The same figures are always
in a table beside the chart.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from itertools import count

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from zns_notify.display import formats

WIDTH = 920
#: Colours with at least 3:1 contrast against white, told apart by hue and lightness.
STATUS_COLOURS = {
    "delivered": "#2e7d32",
    "undelivered": "#ef6c00",
    "failed": "#c62828",
    "skipped": "#757575",
    "cancelled": "#b0a48a",
    "sent": "#1565c0",
    "sending": "#6a1b9a",
    "queued": "#ab47bc",
}
#: The cost chart's channels: Zalo's blue, and a purple for the SMS.
CHANNEL_COLOURS = {"zns": "#0068ff", "sms": "#7b1fa2"}
LINE_COLOUR = "#1565c0"
QUOTA_COLOUR = "#c5cae9"
USED_COLOUR = "#3949ab"
MAX_LABELS = 15
_ids = count(1)


def _svg(template: str, *args) -> SafeString:
    """format_html for SVG: floats become short decimals (format_html escapes every
    argument to text first, so format specs cannot be used in the template)."""
    return format_html(template, *(f"{a:.1f}" if isinstance(a, float) else a for a in args))


def _chart_id(prefix: str) -> str:
    return f"zns-{prefix}-{next(_ids)}"


#: Mantissas of a readable axis maximum.
NICE = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)
#: Mantissas of a readable gridline step.
NICE_STEPS = (1, 2, 2.5, 5)


def nice_ceiling(value: float) -> float:
    """The smallest readable maximum (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10ⁿ) ≥ ``value``."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in NICE if value <= m * power + 1e-9)


def _is_nice(step: float) -> bool:
    power = 10 ** math.floor(math.log10(step))
    return any(abs(step - m * power) < 1e-9 for m in NICE_STEPS)


def tick_count(maximum: float) -> int:
    """3 to 6 gridlines whose values are round (no "2.5 messages", no "12, 24, 36")."""
    if maximum <= 6 and maximum == int(maximum):
        return max(int(maximum), 1)  # a few messages: one gridline per message
    for ticks in (5, 4, 6, 3):
        step = maximum / ticks
        if step == int(step) and _is_nice(step):
            return ticks
    return 4


def _open(kind: str, height: int, title: str, desc: str) -> tuple[str, str]:
    ident = _chart_id(kind)
    head = format_html(
        '<svg class="zns-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" '
        'width="100%" preserveAspectRatio="xMinYMin meet" role="img" '
        'aria-labelledby="{i}-t {i}-d" font-family="sans-serif" font-size="12">'
        '<title id="{i}-t">{title}</title><desc id="{i}-d">{desc}</desc>',
        w=WIDTH,
        h=height,
        i=ident,
        title=title,
        desc=desc,
    )
    return head, "</svg>"


def _label_step(n: int) -> int:
    return max(math.ceil(n / MAX_LABELS), 1)


def _y_axis(
    left: int, top: int, plot_h: int, right: int, maximum: float, ticks: int | None, label
) -> list[str]:
    ticks = ticks or tick_count(maximum)
    parts = []
    for i in range(ticks + 1):
        value = maximum * i / ticks
        y = top + plot_h - plot_h * i / ticks
        parts.append(
            _svg(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="currentColor" stroke-opacity="{}"/>',
                left,
                right,
                y,
                y,
                "0.5" if i == 0 else "0.12",
            )
        )
        parts.append(
            _svg(
                '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle" '
                'fill="currentColor">{}</text>',
                left - 6,
                y,
                label(value),
            )
        )
    return parts


def _day_bar(
    x: float,
    y: float,
    width: float,
    height: float,
    colour: str,
    day: dt.date,
    label: str,
    value: int,
) -> SafeString:
    """One day's bar, its figure in the tooltip."""
    return _svg(
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {} {}</title></rect>',
        x,
        y,
        width,
        height,
        colour,
        formats.date(day),
        label,
        formats.number(value),
    )


def _day_label(x: float, y: float, day: dt.date) -> SafeString:
    return _svg(
        '<text x="{}" y="{}" text-anchor="middle" fill="currentColor">{}</text>',
        x,
        y,
        formats.short_date(day),
    )


def stacked_bars(
    days: Sequence[dt.date],
    series: Sequence[tuple[str, str, Sequence[int]]],
    *,
    title: str,
    desc: str,
    height: int = 260,
) -> SafeString:
    """Daily stacked bars; ``series`` is [(label, colour, one value per day)], bottom first."""
    left, right, top, bottom = 72, WIDTH - 10, 12, 28
    plot_h = height - top - bottom
    totals = [sum(values[i] for _l, _c, values in series) for i in range(len(days))]
    maximum = nice_ceiling(max(totals, default=0))
    slot = (right - left) / max(len(days), 1)
    bar = max(min(slot * 0.7, 48), 1)
    head, tail = _open("bars", height, title, desc)
    parts = [head, *_y_axis(left, top, plot_h, right, maximum, None, formats.number)]
    step = _label_step(len(days))
    for i, day in enumerate(days):
        x = left + slot * i + (slot - bar) / 2
        base = top + plot_h
        for label, colour, values in series:
            value = values[i]
            if not value:
                continue
            h = plot_h * value / maximum
            base -= h
            parts.append(_day_bar(x, base, bar, h, colour, day, label, value))
        if i % step == 0:
            parts.append(_day_label(x + bar / 2, height - 8, day))
    parts.append(tail)
    return mark_safe("".join(parts))


def rate_line(
    days: Sequence[dt.date],
    rates: Sequence[float | None],
    *,
    title: str,
    desc: str,
    label: str,
    height: int = 200,
) -> SafeString:
    """A 0–100 % line, broken where a day has no rate (nothing accepted that day)."""
    left, right, top, bottom = 72, WIDTH - 10, 12, 28
    plot_h = height - top - bottom
    slot = (right - left) / max(len(days), 1)
    head, tail = _open("line", height, title, desc)
    parts = [head, *_y_axis(left, top, plot_h, right, 1.0, 4, lambda v: formats.percent(v, 0))]
    segments: list[list[tuple[float, float]]] = [[]]
    step = _label_step(len(days))
    for i, (day, rate) in enumerate(zip(days, rates, strict=True)):
        x = left + slot * i + slot / 2
        if rate is None:
            segments.append([])
        else:
            y = top + plot_h - plot_h * rate
            segments[-1].append((x, y))
            parts.append(
                _svg(
                    '<circle cx="{}" cy="{}" r="3.5" fill="{}"><title>{}: {} {}</title></circle>',
                    x,
                    y,
                    LINE_COLOUR,
                    formats.date(day),
                    label,
                    formats.percent(rate),
                )
            )
        if i % step == 0:
            parts.append(_day_label(x, height - 8, day))
    for segment in segments:
        if len(segment) > 1:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
            parts.insert(
                1,
                _svg(
                    '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>',
                    points,
                    LINE_COLOUR,
                ),
            )
    parts.append(tail)
    return mark_safe("".join(parts))


def horizontal_bars(
    rows: Sequence[tuple[str, int]],
    *,
    title: str,
    desc: str,
    colour: str = STATUS_COLOURS["failed"],
) -> SafeString:
    """One labelled bar per row (largest first, as given), the figure at its end."""
    label_w, row_h, top = 360, 26, 6
    height = top * 2 + row_h * max(len(rows), 1)
    right = WIDTH - 80
    maximum = max((n for _label, n in rows), default=0) or 1
    head, tail = _open("hbars", height, title, desc)
    parts = [head]
    for i, (label, n) in enumerate(rows):
        y = top + row_h * i
        w = max((right - label_w) * n / maximum, 1)
        parts.append(
            _svg(
                '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle" '
                'fill="currentColor">{}</text>',
                label_w - 8,
                y + row_h / 2,
                _shorten(label, 52),
            )
        )
        parts.append(
            _svg(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
                label_w,
                y + 4,
                w,
                row_h - 8,
                colour,
                label,
                formats.number(n),
            )
        )
        parts.append(
            _svg(
                '<text x="{}" y="{}" dominant-baseline="middle" fill="currentColor">{}</text>',
                label_w + w + 6,
                y + row_h / 2,
                formats.number(n),
            )
        )
    parts.append(tail)
    return mark_safe("".join(parts))


def quota_bars(
    days: Sequence[dt.date],
    quotas: Sequence[int | None],
    used: Sequence[int | None],
    *,
    title: str,
    desc: str,
    used_label: str,
    quota_label: str,
    height: int = 220,
) -> SafeString:
    """Per day, the daily quota as a pale bar and the part used as a dark one inside it."""
    left, right, top, bottom = 72, WIDTH - 10, 12, 28
    plot_h = height - top - bottom
    maximum = nice_ceiling(max([q or 0 for q in quotas] + [u or 0 for u in used] + [0]))
    slot = (right - left) / max(len(days), 1)
    bar = max(min(slot * 0.7, 40), 1)
    head, tail = _open("quota", height, title, desc)
    parts = [head, *_y_axis(left, top, plot_h, right, maximum, None, formats.number)]
    step = _label_step(len(days))
    base = top + plot_h
    for i, day in enumerate(days):
        x = left + slot * i + (slot - bar) / 2
        for value, colour, label in (
            (quotas[i], QUOTA_COLOUR, quota_label),
            (used[i], USED_COLOUR, used_label),
        ):
            if value:
                h = plot_h * value / maximum
                parts.append(_day_bar(x, base - h, bar, h, colour, day, label, value))
        if i % step == 0:
            parts.append(_day_label(x + bar / 2, height - 8, day))
    parts.append(tail)
    return mark_safe("".join(parts))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def swatch(colour: str) -> SafeString:
    """A legend's colour square (inline: the page has no stylesheet of its own to load)."""
    return format_html(
        '<span class="zns-swatch" style="background:{}" aria-hidden="true"></span>', escape(colour)
    )
