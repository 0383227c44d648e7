from __future__ import annotations

import pytest

from zns_notify.exceptions import ZnsInvalidPhone
from zns_notify.lib.phones import mask, normalize_phone


@pytest.mark.parametrize(
    "typed",
    [
        "0912 345 678",
        "+84 912345678",
        "84912345678",
        "(091) 234-5678",
        "0912.345.678",
        " 0912345678 ",
    ],
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


def test_mask_params_finds_the_number_however_it_is_written():
    from zns_notify.lib.phones import mask_params

    params = {
        "a": "84912345678",
        "b": "0912345678",
        "c": "Gọi 0912 345 678!",
        "d": "+84 (912) 345-678",
        "e": "0987 654 321",
        "f": "Đơn DH000123, 1.250.000 đ",
    }
    masked = mask_params(params, "84912345678")
    assert masked["a"] == "********678" and masked["b"] == "*******678"
    assert masked["c"] == "Gọi **** *** 678!" and masked["d"] == "+** (***) ***-678"
    # Another number, an order code and an amount are not the customer's phone.
    assert masked["e"] == params["e"] and masked["f"] == params["f"]


@pytest.mark.parametrize(
    "written",
    [
        "84912345678",
        "+84912345678",
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "0912 - 345 - 678",
        "091 234 5678",
        "(091) 234-5678",
        "(+84) 912 345 678",
        "+84 912-345-678",
        "+84 (0) 912 345 678",
        "84 0912 345 678",
        "+84\u00a0912\u00a0345\u00a0678",
        "912 345 678",
    ],
)
def test_mask_phones_finds_the_recipient_in_every_common_spelling(written):
    from zns_notify.lib.phones import mask_phones

    masked = mask_phones(f"Liên hệ: {written}, 2 sản phẩm", "84912345678")
    assert masked.startswith("Liên hệ: ") and masked.endswith("678, 2 sản phẩm")
    assert sum(c.isdigit() for c in masked) == 4  # 678 and the quantity


def test_mask_phones_without_a_recipient_hides_every_mobile_number_and_hash():
    import hashlib

    from zns_notify.lib.phones import mask_phones

    digest = hashlib.sha256(b"84912345678").hexdigest()
    text = f'{{"id": "84912345678", "b": "0987 654 321", "h": "{digest}", "t": "1602960467432"}}'
    masked = mask_phones(text)
    assert "84912345678" not in masked and "654 321" not in masked and digest not in masked
    assert "1602960467432" in masked  # a timestamp is not a number to hide
