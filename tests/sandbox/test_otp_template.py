"""The sandbox's authentication (OTP) template, 100009: served like Zalo serves one (the
old ``OTP`` tag, its code parameter typed OTP), its code held to Zalo's 10 characters,
and the code readable on the customer's phone page."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.sandbox.conftest import PHONE
from zns_notify.sandbox.catalogue import OTP_TEMPLATE_ID, demo_templates
from zns_notify.sandbox.defaults import DEMO_OA_NAME


def send_code(zalo, code: object, phone: str = PHONE) -> dict:
    return zalo.send(phone=phone, template_id=OTP_TEMPLATE_ID, template_data={"otp": code})


def test_the_otp_template_is_served_with_its_code_parameter_typed_otp(zalo):
    data = zalo.get("/template/info/v2", template_id=OTP_TEMPLATE_ID)["data"]
    assert (data["templateName"], data["status"]) == ("Mã xác thực", "ENABLE")
    assert data["templateTag"] == "OTP"  # Zalo's tag for authentication templates (§5)
    assert data["price"] == "300.0"  # OTP is in the TRANSACTION group since 2024-04-16
    assert data["listParams"] == [
        {
            "name": "otp",
            "require": True,
            "type": "OTP",
            "maxLength": 10,
            "minLength": 0,
            "acceptNull": False,
        }
    ]
    assert data["listButtons"] == []


def test_the_otp_text_is_vietnamese_and_names_the_shop():
    template = demo_templates()[OTP_TEMPLATE_ID]
    title, body = template.render({"otp": "480613"})
    assert DEMO_OA_NAME in title + body  # "OTP must name the site/app" (zns-api.md §9)
    assert "480613" in body and "mã xác thực" in body.lower()


def test_a_code_of_ten_characters_is_sent(zalo):
    assert send_code(zalo, "1234567890")["error"] == 0


@pytest.mark.parametrize("code", ["12345678901", "ABCDEFGHIJK"])
def test_a_code_longer_than_ten_characters_is_1121(zalo, code):
    reply = send_code(zalo, code)
    assert (reply["error"], reply["message"]) == (-1121, "otp data breaks max length")


def test_an_otp_parameter_holds_ten_characters_whatever_its_spec_says(zalo):
    """Zalo's rule for OTP values (≤ 10) holds even where a template's maxLength is
    larger."""
    template = zalo.server.state.templates[OTP_TEMPLATE_ID]
    [param] = template.params
    zalo.server.state.templates[OTP_TEMPLATE_ID] = replace(
        template, params=(replace(param, max_length=30),)
    )
    assert send_code(zalo, "12345678901")["error"] == -1121
    assert send_code(zalo, "1234567890")["error"] == 0


def test_a_missing_code_is_1122(zalo):
    reply = zalo.send(template_id=OTP_TEMPLATE_ID, template_data={"code": "123456"})
    assert reply["error"] == -1122


def test_the_phone_page_shows_the_code(zalo):
    assert send_code(zalo, "480613")["error"] == 0
    page = zalo.http.get(f"{zalo.url}/_sandbox/phone", params={"phone": PHONE}, timeout=5).text
    assert '<p class="otp">480613</p>' in page
    assert "Mã xác thực" in page and DEMO_OA_NAME in page


def test_the_preview_shows_the_sample_code(zalo):
    url = zalo.get("/template/info/v2", template_id=OTP_TEMPLATE_ID)["data"]["previewUrl"]
    page = zalo.http.get(url, timeout=5).text
    assert '<p class="otp">123456</p>' in page


def test_a_phone_not_on_zalo_is_refused_for_a_code_too(zalo):
    assert send_code(zalo, "480613", phone="84999000118")["error"] == -118
