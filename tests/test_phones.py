from __future__ import annotations

import pytest

from zns_notify.exceptions import ZnsInvalidPhone
from zns_notify.phones import mask, normalize_phone


@pytest.mark.parametrize(
    "typed",
    ["0912 345 678", "+84 912345678", "84912345678", "(091) 234-5678", "0912.345.678", " 0912345678 "],
)
def test_what_people_type_becomes_zalos_form(typed):
    assert normalize_phone(typed) == "84912345678"


@pytest.mark.parametrize(
    "typed, reason",
    [
        ("", "no phone number"),
        (None, "no phone number"),
        ("028 3822 1234", "landline"),
        ("+1 202 555 0100", "not Vietnamese"),
        ("+44 7911 123456", "not Vietnamese"),
        ("0912", "not a valid number"),
        ("hello", "malformed"),
    ],
)
def test_unusable_numbers_are_refused_with_a_reason(typed, reason):
    with pytest.raises(ZnsInvalidPhone, match=reason):
        normalize_phone(typed)


def test_refusals_mask_the_number():
    with pytest.raises(ZnsInvalidPhone) as err:
        normalize_phone("+1 202 555 0100")
    assert "202 555" not in str(err.value) and str(err.value).count("*") >= 8


def test_mask_keeps_only_the_last_three_digits():
    assert mask("84912345678") == "********678"
    assert mask("12") == "**"
    assert mask("") == ""
