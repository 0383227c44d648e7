"""The segment counter: GSM-7 vs UCS-2 budgets, concatenation, and pairs at boundaries."""

from __future__ import annotations

import pytest

from zns_notify.sms import GSM7, UCS2, SmsTooLong, count_segments, is_gsm7

# Real order notices a shop sends, with their diacritics.
ORDER_DELIVERED = (
    "Cửa hàng Demo: đơn hàng DH240512 của chị Nguyễn Thị Hằng đã được giao "
    "thành công lúc 14:30 ngày 12/05/2024. Cảm ơn chị đã mua sắm!"
)
ORDER_CONFIRMED = (
    "Cửa hàng Demo xin chào anh Trần Văn Đức. Đơn hàng DH240513 (2 sản phẩm, "
    "tổng 1.250.000₫) đã được xác nhận và sẽ giao trước 18:00 ngày 14/05. "
    "Tra cứu: shop.vn/dh/DH240513"
)


def test_empty_text_takes_no_segment():
    count = count_segments("")
    assert (count.encoding, count.units, count.segments, count.remaining) == (GSM7, 0, 0, 160)


@pytest.mark.parametrize(
    ("length", "segments", "remaining"),
    [
        (1, 1, 159),
        (160, 1, 0),
        (161, 2, 145),
        (306, 2, 0),
        (307, 3, 152),
        (459, 3, 0),
    ],
)
def test_gsm7_single_and_concatenated_budgets(length, segments, remaining):
    count = count_segments("a" * length)
    assert count.encoding == GSM7
    assert (count.units, count.segments, count.remaining) == (length, segments, remaining)


@pytest.mark.parametrize(
    ("length", "segments", "remaining"),
    [
        (70, 1, 0),
        (71, 2, 63),
        (134, 2, 0),
        (135, 3, 66),
    ],
)
def test_ucs2_single_and_concatenated_budgets(length, segments, remaining):
    count = count_segments("ệ" * length)
    assert count.encoding == UCS2
    assert (count.units, count.segments, count.remaining) == (length, segments, remaining)


def test_one_character_outside_gsm7_switches_the_whole_text_to_ucs2():
    assert count_segments("a" * 100).segments == 1
    count = count_segments("a" * 99 + "ơ")
    assert (count.encoding, count.segments, count.per_segment) == (UCS2, 2, 67)


def test_gsm7_letters_with_accents_stay_gsm7():
    # é, è, à, ù, ì, ò are in the GSM 03.38 basic table; Vietnamese "ệ", "ơ", "đ" are not.
    assert is_gsm7("Xin chào, café à la carte") is True
    assert is_gsm7("đ") is False


@pytest.mark.parametrize("char", list("^{}\\[~]|€") + ["\f"])
def test_extension_characters_count_two_units(char):
    count = count_segments(char)
    assert (count.encoding, count.units, count.characters) == (GSM7, 2, 1)


def test_extension_character_at_the_single_sms_boundary():
    assert count_segments("a" * 158 + "€").segments == 1  # 160 units exactly
    count = count_segments("a" * 159 + "€")  # 161 units
    assert (count.units, count.segments, count.remaining) == (161, 2, 145)


def test_escape_pair_is_never_split_across_segments():
    # 152 + 2 + 152 = 306 units, exactly two segments of 153 by arithmetic; but the "€"
    # would straddle the first boundary, so it opens segment two and the text needs three.
    count = count_segments("a" * 152 + "€" + "a" * 152)
    assert (count.units, count.segments, count.remaining) == (306, 3, 152)
    assert count_segments("a" * 151 + "€" + "a" * 153).segments == 2  # the pair fits


def test_surrogate_pairs_count_two_units_and_are_never_split():
    assert count_segments("😀").units == 2
    assert count_segments("a" * 68 + "😀").segments == 1  # 70 units
    assert count_segments("a" * 69 + "😀").segments == 2  # 71 units
    count = count_segments("a" * 66 + "😀" + "a" * 66)  # 134 units, pair at the boundary
    assert (count.units, count.segments, count.remaining) == (134, 3, 66)


def test_vietnamese_order_texts_with_diacritics_are_ucs2():
    delivered = count_segments(ORDER_DELIVERED)
    assert (delivered.encoding, delivered.units, delivered.segments, delivered.remaining) == (
        UCS2,
        130,
        2,
        4,
    )
    confirmed = count_segments(ORDER_CONFIRMED)
    assert (confirmed.encoding, confirmed.units, confirmed.segments, confirmed.remaining) == (
        UCS2,
        169,
        3,
        32,
    )


def test_too_many_segments_is_refused_with_the_count():
    with pytest.raises(SmsTooLong) as caught:
        count_segments(ORDER_CONFIRMED, max_segments=2)
    assert caught.value.count.segments == 3
    assert caught.value.max_segments == 2
    assert str(caught.value) == (
        "The SMS text needs 3 segments (169 UCS-2 units); at most 2 are allowed."
    )
    assert isinstance(caught.value, ValueError)


def test_limit_is_inclusive():
    assert count_segments("a" * 459, max_segments=3).segments == 3
    with pytest.raises(SmsTooLong):
        count_segments("a" * 460, max_segments=3)
