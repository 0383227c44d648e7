"""The preview helper the binding preview shows, and the result's stored form."""

from __future__ import annotations

import json

from django.utils import translation

from zns_notify.sms import preview_sms, send_sms

from .test_segments import ORDER_CONFIRMED, ORDER_DELIVERED


def test_preview_of_a_stripped_order_text(sms_settings):
    sms_settings(SMS_COST_PER_SEGMENT=850)
    preview = preview_sms(ORDER_CONFIRMED)
    assert preview.ok and preview.text.startswith("Cua hang Demo xin chao anh Tran Van Duc.")
    assert (preview.count.segments, str(preview.cost)) == (2, "1700")
    assert preview.summary() == (
        "2 segments · GSM-7 · 137 characters left · about 1.700 VND · diacritics removed"
    )


def test_preview_keeping_diacritics_without_a_price(sms_settings):
    sms_settings(SMS_STRIP_DIACRITICS=False)
    preview = preview_sms(ORDER_DELIVERED)
    assert preview.summary() == (
        "2 segments · UCS-2 · 4 characters left · cost unknown (set SMS_COST_PER_SEGMENT)"
    )


def test_too_long_text_is_previewed_with_its_count(sms_settings):
    sms_settings(SMS_MAX_SEGMENTS=1, SMS_COST_PER_SEGMENT=850, SMS_STRIP_DIACRITICS=False)
    preview = preview_sms(ORDER_CONFIRMED)
    assert not preview.ok and preview.text == ""
    assert (preview.count.segments, str(preview.cost)) == (3, "2550")
    assert preview.summary().endswith("at most 1 are allowed.")


def test_empty_text_preview(sms_settings):
    sms_settings()
    preview = preview_sms("  ")
    assert (preview.ok, preview.count, preview.summary()) == (False, None, "The SMS text is empty.")


def test_summary_in_vietnamese(sms_settings):
    sms_settings(SMS_COST_PER_SEGMENT=850)
    with translation.override("vi"):
        assert preview_sms("Xin chào").summary() == (
            "1 phân đoạn · GSM-7 · còn 152 ký tự · khoảng 850 VND · đã bỏ dấu"
        )


def test_result_record_is_json_safe(outbox, sms_settings):
    sms_settings(SMS_PROVIDER="locmem", SMS_COST_PER_SEGMENT="850.5")
    record = send_sms("0912345678", "Xin chao", reference="ref-1").as_record()
    assert json.loads(json.dumps(record)) == record
    assert record | {"message_id": "x"} == {
        "accepted": True,
        "provider": "locmem",
        "reference": "ref-1",
        "message_id": "x",
        "error_kind": None,
        "error_code": "",
        "error_message": "",
        "ambiguous": False,
        "duplicate": False,
        "encoding": "GSM-7",
        "segments": 1,
        "cost": "850.5",
        "cost_is_estimate": True,
        "raw": None,
    }
