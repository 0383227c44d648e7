"""The inline SVG charts: well-formed, labelled for screen readers, escaped, and with at
most about fifteen axis labels whatever the number of days."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from zns_notify.reports import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything that is not well-formed XML


def days(n: int) -> list[dt.date]:
    return [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(n)]


@pytest.mark.parametrize("n", [1, 7, 30, 366])
def test_stacked_bars_keep_axis_labels_apart(n):
    root = parse(
        charts.stacked_bars(
            days(n),
            [("Delivered", "#2e7d32", [5] * n), ("Failed", "#c62828", [1] * n)],
            title="Messages",
            desc="per day",
        )
    )
    assert root.get("role") == "img"
    labelled_by = root.get("aria-labelledby").split()
    assert [root.find(f"{SVG}title").get("id"), root.find(f"{SVG}desc").get("id")] == labelled_by
    x_labels = [t for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "middle"]
    assert 1 <= len(x_labels) <= charts.MAX_LABELS + 1
    assert len(root.findall(f"{SVG}rect")) == 2 * n
    # Every bar says what it is when pointed at.
    assert root.find(f"{SVG}rect/{SVG}title").text.endswith("Delivered 5")


def test_text_is_escaped():
    svg = charts.horizontal_bars(
        [("<script>alert(1)</script> & co", 3)], title="A < B", desc='"quoted"'
    )
    root = parse(svg)
    assert "<script>" not in svg
    assert root.find(f"{SVG}title").text == "A < B"


def test_the_rate_line_breaks_where_a_day_has_no_rate():
    root = parse(
        charts.rate_line(
            days(5), [0.9, 0.8, None, 0.95, 1.0], title="Rate", desc="per day", label="rate"
        )
    )
    assert len(root.findall(f"{SVG}polyline")) == 2
    assert len(root.findall(f"{SVG}circle")) == 4


def test_labels_follow_the_language():
    with translation.override("vi"):
        svg = charts.quota_bars(
            days(2),
            [2000, 2000],
            [1500, None],
            title="Quota",
            desc="d",
            used_label="đã dùng",
            quota_label="hạn mức",
        )
    assert "01/01/2026: đã dùng 1.500" in svg and ">01/01<" in svg
