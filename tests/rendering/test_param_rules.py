"""Zalo's parameter rules (zns-api.md §9) applied before any API call, and the filters
binding expressions use to meet them."""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal

import pytest

from zns_notify.exceptions import ZnsRenderError
from zns_notify.rendering.filters import zns_truncate
from zns_notify.rendering.params import render_params


def spec(**overrides):
    return {
        "require": True,
        "type": "STRING",
        "max_length": 30,
        "min_length": 0,
        "accept_null": False,
        **overrides,
    }


def render(expression, context=None, **spec_overrides):
    return render_params({"p": expression}, {"p": spec(**spec_overrides)}, context or {})["p"]


def refusal(expressions, specs, context=None) -> ZnsRenderError:
    with pytest.raises(ZnsRenderError) as err:
        render_params(expressions, specs, context or {})
    return err.value


# -- lengths, counted after NFC ------------------------------------------------------


def test_value_at_max_length_passes_and_one_more_fails_naming_the_param():
    assert render("{{ v }}", {"v": "x" * 30}) == "x" * 30
    err = refusal({"order_note": "{{ v }}"}, {"order_note": spec()}, {"v": "x" * 31})
    assert err.param == "order_note"
    assert str(err) == "Parameter order_note is 31 characters; Zalo allows at most 30."


def test_length_is_counted_after_nfc():
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Thanh Hương Quỳnh")
    assert len(nfd) > 30
    value = render("{{ v }}", {"v": nfd})
    assert value == unicodedata.normalize("NFC", nfd) and len(value) == 28


def test_min_length():
    assert render("{{ v }}", {"v": "abc"}, min_length=3) == "abc"
    err = refusal({"otp": "{{ v }}"}, {"otp": spec(min_length=4)}, {"v": "123"})
    assert err.param == "otp" and "at least 4" in str(err)


def test_surrounding_whitespace_does_not_count():
    assert render("  {{ v }}  ", {"v": "x" * 30}) == "x" * 30


# -- required / acceptNull -----------------------------------------------------------


def test_required_param_rendering_empty_fails():
    err = refusal({"customer_name": "{{ missing }}"}, {"customer_name": spec()})
    assert err.param == "customer_name" and "required but rendered empty" in str(err)


def test_required_param_that_accepts_null_may_be_empty():
    assert render("{{ missing }}", accept_null=True) == ""


def test_optional_param_may_be_empty_or_unbound():
    assert render("{{ missing }}", require=False) == ""
    assert render_params({}, {"note": spec(require=False)}, {}) == {}


def test_required_param_not_bound_fails():
    err = refusal({}, {"order_code": spec()})
    assert err.param == "order_code" and "not bound" in str(err)


def test_bound_param_the_template_does_not_have_fails():
    err = refusal({"p": "x", "ghost": "y"}, {"p": spec()})
    assert err.param == "ghost" and "does not exist" in str(err)


def test_empty_value_still_checks_min_length_only_when_present():
    assert render("{{ missing }}", require=False, min_length=5) == ""


# -- zns_truncate ----------------------------------------------------------------------


def test_truncate_only_where_the_binding_asks():
    note = "Giao giờ hành chính, gọi trước khi giao, để ở bảo vệ"
    value = render("{{ order.note|zns_truncate:30 }}", {"order": {"note": note}})
    assert len(value) == 30 and value.endswith("…")
    assert value == note[:29].rstrip() + "…"
    err = refusal({"note": "{{ order.note }}"}, {"note": spec()}, {"order": {"note": note}})
    assert err.param == "note" and "Zalo allows at most 30" in str(err)


def test_truncate_counts_after_nfc():
    nfd = unicodedata.normalize("NFD", "Hương Quỳnh")  # 11 characters in NFC
    assert len(nfd) > 11
    assert zns_truncate(nfd, 11) == "Hương Quỳnh"
    assert zns_truncate(nfd, 6) == "Hương…"
    assert unicodedata.is_normalized("NFC", zns_truncate(nfd, 6))


@pytest.mark.parametrize(
    ("value", "length", "expected"),
    [
        ("ngắn", 30, "ngắn"),
        ("abcdef", 6, "abcdef"),
        ("abcdefg", 6, "abcde…"),
        ("abc   defg", 6, "abc…"),  # no dangling space before the ellipsis
        ("abc", 1, "…"),
        ("abc", 0, ""),
        (12345678, 5, "1234…"),
        ("abcdef", "x", "abcdef"),  # a bad length leaves the value to the length check
    ],
)
def test_truncate(value, length, expected):
    assert zns_truncate(value, length) == expected


# -- Vietnamese formats ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "context", "expected"),
    [
        ("{{ total|vnd }}", {"total": 1250000}, "1.250.000"),
        ("{{ total|vnd }} đ", {"total": Decimal("459000.00")}, "459.000 đ"),
        ("{{ total|vnd }}", {"total": "2000"}, "2.000"),
        (
            "{{ at|zns_date }}",
            {"at": dt.datetime(2026, 11, 21, 18, 30, tzinfo=dt.UTC)},
            "22/11/2026",
        ),
        (
            "{{ at|zns_datetime }}",
            {"at": dt.datetime(2026, 11, 21, 18, 30, tzinfo=dt.UTC)},
            "01:30 22/11/2026",
        ),
        (
            "{{ at|zns_datetime }}",
            {"at": dt.datetime(2026, 3, 1, 3, 5, tzinfo=dt.UTC)},
            "10:05 01/03/2026",
        ),
        ("{{ day|zns_date }}", {"day": dt.date(2026, 1, 2)}, "02/01/2026"),
    ],
)
def test_vietnamese_formats_in_expressions(expression, context, expected):
    assert render(expression, context) == expected
