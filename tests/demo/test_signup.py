"""The storefront's sign-up page: a phone number, a one-time code, a signed-in customer;
and every refusal said plainly, in English and Vietnamese.

The codes here are caught at the sending step (tests/otp's ``sent``): these tests are
about the page. tests/demo/test_signup_sandbox.py sends them to the sandbox for real.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from demo_shop.shop.models import Customer, Order
from zns_notify.models import OtpChallenge

pytestmark = pytest.mark.django_db

SIGN_UP = {"full_name": "Trần Thị Bích Ngọc", "phone": "0903 217 456"}
NORMALIZED = "84903217456"


def ask(client, **fields):
    return client.post(reverse("shop:signup"), {**SIGN_UP, **fields}, follow=True)


def enter(client, code: str):
    return client.post(reverse("shop:signup_code"), {"code": code}, follow=True)


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_the_nav_links_to_the_sign_up_page(client):
    page = client.get(reverse("shop:product_list")).text
    assert f'href="{reverse("shop:signup")}"' in page and "Sign up" in page


def test_the_page_asks_for_a_name_and_a_phone(client):
    page = client.get(reverse("shop:signup")).text
    assert 'name="full_name"' in page and 'name="phone"' in page
    assert "Send code" in page
    assert "0999 000 118" not in page  # the demo's hints are for the sandbox only


def test_against_the_sandbox_the_page_names_the_phone_not_on_zalo(client, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "API_BASE_URL": "http://127.0.0.1:8765"}
    page = client.get(reverse("shop:signup")).text
    assert "sign up with 0999 000 118" in page and "the code comes by SMS" in page


def test_the_page_speaks_vietnamese(client, settings):
    settings.LANGUAGE_CODE = "vi"
    page = client.get(reverse("shop:signup")).text
    assert "Đăng ký" in page and "Gửi mã" in page


def test_a_phone_gets_a_code_and_the_page_asks_for_it(client, clock, sent):
    page = ask(client)
    assert page.redirect_chain == [(reverse("shop:signup_code"), 302)]
    assert [(s.phone, s.purpose) for s in sent] == [(NORMALIZED, "sign_up")]
    assert 'name="code"' in page.text and 'autocomplete="one-time-code"' in page.text
    assert "We sent a code to 0903 217 456" in page.text
    # The client's address counts towards the per-IP limit (the test client's is 127.0.0.1).
    assert OtpChallenge.objects.get().ip_hash


def test_the_right_code_signs_the_customer_up_and_in(client, clock, sent):
    ask(client)
    page = enter(client, sent[0].code)
    assert page.redirect_chain == [(reverse("shop:product_list"), 302)]
    customer = Customer.objects.get(verified_phone=NORMALIZED)
    assert (customer.full_name, customer.phone, customer.verified_at) == (
        "Trần Thị Bích Ngọc",
        "0903 217 456",
        clock.now,
    )
    assert "Welcome, Trần Thị Bích Ngọc! Your phone number is verified." in page.text
    assert "Hello, Trần Thị Bích Ngọc" in page.text
    assert client.session["customer_id"] == customer.pk
    assert OtpChallenge.objects.get().status == OtpChallenge.Status.VERIFIED


def test_signing_up_again_with_the_same_phone_is_the_same_customer(client, clock, sent):
    ask(client)
    enter(client, sent[0].code)
    client.post(reverse("shop:signout"))
    clock.advance(61)
    ask(client, full_name="Ngọc Trần")
    enter(client, sent[1].code)
    customer = Customer.objects.get(verified_phone=NORMALIZED)
    assert customer.full_name == "Ngọc Trần" and client.session["customer_id"] == customer.pk


def test_a_signed_in_customer_checks_out_with_their_name_and_phone(client, clock, sent, coffee):
    ask(client)
    enter(client, sent[0].code)
    client.post(reverse("shop:cart_add"), {"product_id": coffee.pk, "quantity": 1})
    form = client.get(reverse("shop:checkout")).context["form"]
    assert form.initial == {"customer_name": "Trần Thị Bích Ngọc", "phone": "0903 217 456"}
    client.post(
        reverse("shop:checkout"), {**form.initial, "payment_method": Order.PaymentMethod.COD}
    )
    assert Order.objects.get().customer == Customer.objects.get(verified_phone=NORMALIZED)


def test_signing_out_forgets_the_customer(client, clock, sent):
    ask(client)
    enter(client, sent[0].code)
    page = client.post(reverse("shop:signout"), follow=True)
    assert "customer_id" not in client.session and "Sign up" in page.text


# --- refusals ---------------------------------------------------------------------------


def test_a_malformed_phone_is_refused_before_any_code(client, sent):
    page = ask(client, phone="09x 123")
    assert "Enter a phone number such as 0912 345 678." in page.text
    assert sent == []


def test_a_number_that_is_not_a_vietnamese_mobile_is_refused(client, sent):
    page = ask(client, phone="024 3825 1234")  # a Hà Nội landline
    assert "This is not a Vietnamese mobile number." in page.text
    assert sent == [] and not OtpChallenge.objects.exists()


def test_a_new_code_within_the_cooldown_says_how_long_to_wait(client, clock, sent):
    ask(client)
    clock.advance(15)
    page = client.post(reverse("shop:signup_resend"), follow=True)
    assert page.redirect_chain == [(reverse("shop:signup_code"), 302)]
    assert "A code was just sent." in page.text
    assert "You can ask for a new code in 45 seconds." in page.text
    assert len(sent) == 1


def test_the_cooldown_in_vietnamese(client, clock, sent, settings):
    settings.LANGUAGE_CODE = "vi"
    ask(client)
    page = client.post(reverse("shop:signup_resend"), follow=True)
    assert "Bạn có thể yêu cầu mã mới sau 60 giây." in page.text


def test_a_new_code_after_the_cooldown_is_sent(client, clock, sent):
    ask(client)
    clock.advance(60)
    page = client.post(reverse("shop:signup_resend"), follow=True)
    assert "We sent a new code to 0903 217 456" in page.text and len(sent) == 2
    assert "This code is not right." in enter(client, sent[0].code).text  # the old one is dead
    assert enter(client, sent[1].code).redirect_chain[-1][0] == reverse("shop:product_list")


def test_too_many_codes_for_a_phone_says_when_to_come_back(client, clock, sent, otp_settings):
    otp_settings(OTP_RESEND_COOLDOWN=0, OTP_LIMIT_PER_PHONE=(2, 3600))
    ask(client)
    client.post(reverse("shop:signup_resend"))
    clock.advance(600)
    page = client.post(reverse("shop:signup_resend"), follow=True)
    assert "Too many codes were asked for." in page.text
    assert "You can ask for a new code in 50 minutes." in page.text
    assert len(sent) == 2


def test_too_many_codes_from_one_address_are_refused_on_the_first_step(
    client, clock, sent, otp_settings
):
    otp_settings(OTP_LIMIT_PER_IP=(1, 3600))
    ask(client)
    page = ask(client, phone="0912 345 678")
    assert "Too many codes were asked for." in page.text
    assert "You can ask for a new code in 60 minutes." in page.text
    assert page.redirect_chain == []  # still the first step, the number kept
    assert 'value="0912 345 678"' in page.text


WRONG_CODE = "This code is not right. Check the code in the latest message, or ask for a new one."


def code_error(page) -> str:
    return re.search(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page.text, re.S).group(1)


def test_a_wrong_code_says_so_without_counting_tries(client, clock, sent):
    ask(client)
    assert WRONG_CODE in code_error(enter(client, wrong(sent[0].code)))
    assert "customer_id" not in client.session


def test_a_wrong_code_reads_the_same_when_the_number_has_no_code(client, clock, sent):
    # It used to tell a number with a code on its way (a sign-up going on) by its tries.
    ask(client)
    with_code = code_error(enter(client, wrong(sent[0].code)))
    OtpChallenge.objects.all().delete()
    assert code_error(enter(client, wrong(sent[0].code))) == with_code


def test_the_wrong_code_message_in_vietnamese(client, clock, sent, settings):
    settings.LANGUAGE_CODE = "vi"
    ask(client)
    page = enter(client, wrong(sent[0].code)).text
    assert "Mã không đúng. Hãy kiểm tra mã trong tin nhắn mới nhất, hoặc yêu cầu mã mới." in page


def test_too_many_wrong_codes_lock_it_until_a_new_one(client, clock, sent, otp_settings):
    otp_settings(OTP_MAX_TRIES=2)
    ask(client)
    enter(client, wrong(sent[0].code))
    page = enter(client, wrong(sent[0].code))
    assert WRONG_CODE in page.text  # the try that locks it reads like any wrong one
    assert "Too many wrong codes. Ask for a new one." in enter(client, sent[0].code).text
    assert not Customer.objects.exists()


def test_an_expired_code_asks_for_a_new_one(client, clock, sent):
    ask(client)
    clock.advance(300)
    page = enter(client, sent[0].code)
    assert "This code has expired. Ask for a new one." in page.text
    assert not Customer.objects.exists()


def test_an_empty_code_is_asked_for_again(client, clock, sent):
    ask(client)
    page = enter(client, "")
    assert "This field is required." in page.text and sent[0].code
    assert OtpChallenge.objects.get().tries_used == 0


def test_the_code_page_without_a_phone_sends_back_to_the_first_step(client):
    assert client.get(reverse("shop:signup_code")).url == reverse("shop:signup")
    assert client.post(reverse("shop:signup_resend")).url == reverse("shop:signup")


def test_without_an_otp_template_the_page_says_codes_cannot_be_sent(client, caplog):
    page = ask(client)
    assert "Codes cannot be sent right now. Please try again later." in page.text
    assert not OtpChallenge.objects.exists()
    assert "OTP_TEMPLATE_ID" in caplog.text  # the operator's log names the setting
