"""The sign-up page against the sandbox, seeded as `make demo` seeds it: the code reaches
the customer's phone page (Zalo) within seconds, a customer not on Zalo gets it by SMS,
and the code read there signs them up.

The code goes out through the queue (drained here as a worker would, with the helper of
the integration tests) or from the request itself: the tests wait for the phone page
either way.
"""

from __future__ import annotations

import time

import pytest
import requests
from django.urls import reverse

from demo_shop.shop.demo_seed import seed_demo
from demo_shop.shop.models import Customer
from tests.demo.helpers import SMS_CODE, ZNS_CODE, phone_page
from tests.integration.conftest import run_queued_tasks, wait_until
from zns_notify.models import OtpChallenge
from zns_notify.sandbox.catalogue import OTP_TEMPLATE_ID

pytestmark = pytest.mark.django_db(transaction=True)

#: Seconds within which the code must be on the phone page.
WITHIN = 10


@pytest.fixture
def shop(demo_sms):
    """The demo seeded against this test's sandbox, with the demo's SMS settings."""
    seed_demo()
    return demo_sms


def code_on_phone(sandbox, phone: str, pattern) -> tuple[str, float]:
    """The newest code the phone shows, and how many seconds it took to appear."""
    started = time.monotonic()

    def shown():
        run_queued_tasks()  # what a worker does meanwhile
        return pattern.findall(phone_page(sandbox.url, phone))

    codes = wait_until(shown, timeout=WITHIN)
    assert codes, phone_page(sandbox.url, phone)
    return codes[-1], time.monotonic() - started


def sign_up(client, name: str, phone: str):
    return client.post(reverse("shop:signup"), {"full_name": name, "phone": phone}, follow=True)


def test_the_code_reaches_the_phone_on_zalo_and_signs_the_customer_up(client, shop):
    page = sign_up(client, "Lê Hoàng Nam", "+84 938 112 233")
    assert page.redirect_chain == [(reverse("shop:signup_code"), 302)]
    # The page links to the customer's phone in the sandbox.
    assert f"{shop.url}/_sandbox/phone?phone=84938112233" in page.text

    code, seconds = code_on_phone(shop, "84938112233", ZNS_CODE)
    assert seconds < WITHIN
    [message] = shop.state.sent_messages("84938112233")
    assert message.template_id == OTP_TEMPLATE_ID and message.data == {"otp": code}

    wrong = "000000" if code != "000000" else "111111"
    refused = client.post(reverse("shop:signup_code"), {"code": wrong}, follow=True)
    assert "This code is not right." in refused.text and "tries left" not in refused.text

    done = client.post(reverse("shop:signup_code"), {"code": code}, follow=True)
    assert "Welcome, Lê Hoàng Nam! Your phone number is verified." in done.text
    assert Customer.objects.get(verified_phone="84938112233").full_name == "Lê Hoàng Nam"
    challenge = OtpChallenge.objects.get()
    assert (challenge.status, challenge.channel) == ("verified", "zns")
    assert shop.state.sms.records("84938112233") == []  # Zalo delivered: no SMS


@pytest.mark.parametrize(
    "phone",
    [
        "0999 000 118",  # the sandbox answers -118: not on Zalo
        "0999 000 119",  # -119: cannot receive ZNS
        "0999 000 114",  # -114: inactive, or cannot receive ZNS
    ],
)
def test_a_customer_not_on_zalo_gets_the_code_by_sms(client, shop, phone):
    normalized = "84" + phone.replace(" ", "")[1:]
    sign_up(client, "Phan Thị Sương", phone)
    code, seconds = code_on_phone(shop, normalized, SMS_CODE)
    assert seconds < WITHIN
    assert shop.state.sent_messages(normalized) == []  # Zalo refused the ZNS message
    sms = requests.get(f"{shop.url}/_sandbox/sms", params={"phone": normalized}, timeout=5).json()[
        "sms"
    ]
    assert [record["brandname"] for record in sms] == ["DemoShop"]
    assert SMS_CODE.findall(sms[0]["content"]) == [code]

    done = client.post(reverse("shop:signup_code"), {"code": code}, follow=True)
    assert "Welcome, Phan Thị Sương! Your phone number is verified." in done.text
    challenge = OtpChallenge.objects.get()
    assert (challenge.status, challenge.channel) == ("verified", "sms")
