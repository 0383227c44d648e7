"""Money, numbers, dates and durations in Vietnamese and English (zns_notify.display.formats)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from zns_notify.display import formats


@pytest.fixture(params=["vi", "en"])
def language(request):
    with translation.override(request.param):
        yield request.param


CASES = {
    "money": [
        (1234567, "1.234.567 ₫", "1,234,567 VND"),
        (Decimal("300.50"), "301 ₫", "301 VND"),
        (0, "0 ₫", "0 VND"),
        (None, "—", "—"),
    ],
    "number": [(1234567, "1.234.567", "1,234,567"), (999, "999", "999")],
    "percent": [(0.9534, "95,3 %", "95.3%"), (1, "100,0 %", "100.0%"), (None, "—", "—")],
    "date": [(dt.date(2026, 11, 2), "02/11/2026", "2026-11-02"), (None, "—", "—")],
    "short_date": [(dt.date(2026, 11, 2), "02/11", "11-02")],
    "datetime": [(dt.datetime(2026, 1, 5, 7, 3), "05/01/2026 07:03", "2026-01-05 07:03")],
    "duration": [
        (12.4, "12 giây", "12 s"),
        (200, "3 phút 20 giây", "3 min 20 s"),
        (180, "3 phút", "3 min"),
        (7500, "2 giờ 5 phút", "2 h 5 min"),
        (7200, "2 giờ", "2 h"),
        (None, "—", "—"),
    ],
}


@pytest.mark.parametrize(
    "name,value,vi,en", [(name, *case) for name, cases in CASES.items() for case in cases]
)
def test_formats_follow_the_active_language(language, name, value, vi, en):
    assert getattr(formats, name)(value) == (vi if language == "vi" else en)


def test_decimals_use_the_language_s_separator(language):
    expected = "1.234,57" if language == "vi" else "1,234.57"
    assert formats.number(1234.567, 2) == expected


def test_a_regional_variant_counts_as_its_language():
    with translation.override("vi-VN"):
        assert formats.money(1000) == "1.000 ₫"


@pytest.mark.parametrize(
    "largest,maximum,ticks",
    [
        (0, 1, 1),
        (3, 3, 3),
        (7, 8, 4),
        (28, 30, 6),
        (37, 40, 4),
        (45, 50, 5),
        (95, 100, 5),
        (14_000, 15_000, 6),
        (33_000, 40_000, 4),
    ],
)
def test_chart_axes_end_on_round_values(largest, maximum, ticks):
    from zns_notify.reports.charts import nice_ceiling, tick_count

    assert nice_ceiling(largest) == maximum
    assert tick_count(maximum) == ticks
    assert maximum / ticks == int(maximum / ticks)  # no "2.5 messages" gridline
