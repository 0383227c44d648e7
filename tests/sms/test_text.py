"""Vietnamese without diacritics, and prepare_text's use of the settings."""

from __future__ import annotations

import unicodedata

import pytest
from django.utils import translation

from zns_notify.sms import GSM7, UCS2, SmsInvalidText, SmsTooLong, prepare_text, strip_diacritics

from .test_segments import ORDER_CONFIRMED, ORDER_DELIVERED

VOWELS = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"


def test_every_vietnamese_letter_loses_its_marks():
    expected = "a" * 17 + "e" * 11 + "i" * 5 + "o" * 17 + "u" * 11 + "y" * 5 + "d"
    assert strip_diacritics(VOWELS) == expected
    assert strip_diacritics(VOWELS.upper()) == expected.upper()


def test_decomposed_input_is_stripped_too():
    assert strip_diacritics(unicodedata.normalize("NFD", "Nguyễn Thị Hằng")) == "Nguyen Thi Hang"


def test_the_eth_lookalike_of_d_with_stroke_is_stripped_too():
    """Text converted from the legacy Vietnamese encodings (TCVN3, VNI) or typed on some
    keyboards carries the Icelandic eth Ð (U+00D0), which looks like Đ (U+0110): left
    there, one character makes the whole SMS UCS-2 and the notice costs two or three."""
    assert strip_diacritics("ÐƠN HÀNG DH1 ÐÃ GIAO") == "DON HANG DH1 DA GIAO"
    assert prepare_text("Ðơn hàng DH1 đã giao", strip=True).count.encoding == GSM7


def test_typography_is_mapped_to_gsm7():
    text = "“Đơn hàng” – giao lúc 9\u00a0giờ… giá 150.000₫ ‘ok’ — 2×"
    assert strip_diacritics(text) == "\"Don hang\" - giao luc 9 gio... gia 150.000d 'ok' - 2x"


def test_other_characters_outside_gsm7_are_kept():
    assert strip_diacritics("Cảm ơn 😀 谢谢") == "Cam on 😀 谢谢"


def test_stripped_order_texts_fit_gsm7_budgets():
    delivered = prepare_text(ORDER_DELIVERED, strip=True)
    assert delivered.text.startswith("Cua hang Demo: don hang DH240512 cua chi Nguyen Thi Hang")
    assert (delivered.count.encoding, delivered.count.segments, delivered.count.remaining) == (
        GSM7,
        1,
        30,
    )
    assert delivered.stripped is True
    confirmed = prepare_text(ORDER_CONFIRMED, strip=True)
    assert "tong 1.250.000d" in confirmed.text
    assert (confirmed.count.encoding, confirmed.count.segments, confirmed.count.remaining) == (
        GSM7,
        2,
        137,
    )


def test_settings_are_read_live(settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SMS_STRIP_DIACRITICS": False}
    kept = prepare_text(ORDER_DELIVERED)
    assert (kept.text, kept.count.encoding, kept.stripped) == (ORDER_DELIVERED, UCS2, False)
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "SMS_STRIP_DIACRITICS": True,
        "SMS_MAX_SEGMENTS": 1,
    }
    assert prepare_text(ORDER_DELIVERED).count.segments == 1
    with pytest.raises(SmsTooLong):
        prepare_text(ORDER_CONFIRMED)


def test_strip_is_on_and_three_segments_allowed_by_default(settings):
    settings.ZNS_NOTIFY = {k: v for k, v in settings.ZNS_NOTIFY.items() if not k.startswith("SMS_")}
    assert prepare_text(ORDER_CONFIRMED).count.encoding == GSM7
    assert prepare_text("a" * 459).count.segments == 3
    with pytest.raises(SmsTooLong):
        prepare_text("a" * 460)


def test_decomposed_text_is_counted_as_composed():
    prepared = prepare_text(unicodedata.normalize("NFD", "ệ" * 70), strip=False)
    assert (prepared.count.units, prepared.count.segments) == (70, 1)


@pytest.mark.parametrize("text", ["", "   \n "])
def test_empty_text_is_refused(text):
    with pytest.raises(SmsInvalidText, match="The SMS text is empty."):
        prepare_text(text)


def test_errors_are_translated():
    with translation.override("vi"), pytest.raises(SmsTooLong) as caught:
        prepare_text("a" * 400, max_segments=1)
    assert "phân đoạn" in str(caught.value)
