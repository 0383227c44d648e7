"""A customer signs up in a real browser, in Vietnamese, against the sandbox seeded as
`make demo` seeds it: the shop's sign-up page asks for a phone, the code is read on the
sandbox's phone page (the customer's phone, opened from the page's demo link), a wrong
code is refused (without a count of tries left), the right one signs the customer in. Then a
customer not on Zalo: the same page, the code arriving by SMS on their phone page.

Screenshots: signup-phone.png, signup-code.png, signup-zalo-phone.png,
signup-wrong-code.png, signup-done.png, signup-sms-phone.png."""

from __future__ import annotations

import re
import time

import pytest

from tests.demo.helpers import demo_sms_settings

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(live_server, settings):
    """The sandbox on loopback with the demo seeded against it (OA connected, templates
    synced, the SMS fallback through its eSMS mode)."""
    from demo_shop.shop.demo_seed import seed_demo
    from zns_notify.sandbox import SandboxServer

    zns = settings.ZNS_NOTIFY
    server = SandboxServer(
        app_id=zns["APP_ID"],
        app_secret=zns["APP_SECRET"],
        oa_secret_key=zns["OA_SECRET_KEY"],
        webhook_url=None,
        seed=7,
    ).start()
    settings.ZNS_NOTIFY = {
        **zns,
        "API_BASE_URL": server.url,
        "OAUTH_BASE_URL": server.url,
        **demo_sms_settings(server.url),
    }
    seed_demo()
    yield server
    server.stop()


@pytest.fixture
def customer_browser(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="vi-VN", viewport={"width": 1100, "height": 800}
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


def read_code(phone_page, selector: str, pattern: str = r"(.+)") -> str:
    """The newest code on the customer's phone page, once the worker has sent it (drained
    here, as a worker would; the page reloads itself every 3 s, this reloads sooner)."""
    from tests.integration.conftest import run_queued_tasks

    deadline = time.monotonic() + 10
    while True:
        run_queued_tasks()
        phone_page.reload()
        found = phone_page.locator(selector)
        if found.count() or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return re.search(pattern, found.last.inner_text()).group(1)


def sign_up(page, name: str, phone: str) -> None:
    page.fill("#id_full_name", name)
    page.fill("#id_phone", phone)
    page.get_by_role("button", name="Gửi mã").click()
    page.wait_for_url("**/signup/code/")


def test_a_customer_signs_up_with_the_code_from_their_phone(
    customer_browser, shop, live_server, shoot
):
    from demo_shop.shop.models import Customer
    from zns_notify.models import OtpChallenge

    page = customer_browser.new_page()
    page.goto("/")
    page.get_by_role("link", name="Đăng ký").click()
    page.wait_for_url("**/signup/")
    assert page.locator("h1").inner_text() == "Đăng ký"
    assert "0999 000 118" in page.locator(".demo-tip").inner_text()
    shoot(page, "signup-phone")

    sign_up(page, "Nguyễn Văn An", "0912 345 678")
    assert "Chúng tôi đã gửi mã tới 0912 345 678" in page.locator("#code-sent").inner_text()
    shoot(page, "signup-code")

    # The customer's phone: the sandbox's phone page, linked from the shop's page.
    phone = customer_browser.new_page()
    phone.goto(page.locator("#sandbox-phone").get_attribute("href"))
    code = read_code(phone, ".card p.otp")
    assert re.fullmatch(r"\d{6}", code), code
    assert "Mã xác thực Cửa hàng Demo" in phone.locator(".card h3").last.inner_text()
    shoot(phone, "signup-zalo-phone")

    page.fill("#id_code", "000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Xác thực").click()
    error = page.locator("#code-form .errorlist")
    assert error.inner_text() == (
        "Mã không đúng. Hãy kiểm tra mã trong tin nhắn mới nhất, hoặc yêu cầu mã mới."
    )
    shoot(page, "signup-wrong-code")

    page.fill("#id_code", code)
    page.get_by_role("button", name="Xác thực").click()
    page.wait_for_url(f"{live_server.url}/")
    assert (
        page.locator(".messages li.success").inner_text()
        == "Chào mừng Nguyễn Văn An! Số điện thoại của bạn đã được xác thực."
    )
    assert page.locator("header .who").inner_text() == "Xin chào, Nguyễn Văn An"
    shoot(page, "signup-done")
    assert Customer.objects.get(verified_phone="84912345678").full_name == "Nguyễn Văn An"

    # A customer not on Zalo: signed out, the same page, the code by SMS.
    page.get_by_role("button", name="Đăng xuất").click()
    page.get_by_role("link", name="Đăng ký").click()
    sign_up(page, "Phan Thị Sương", "0999 000 118")
    phone.goto(page.locator("#sandbox-phone").get_attribute("href"))
    code = read_code(phone, ".sms", r"Ma xac thuc (\w+) cho")
    assert phone.locator(".card").count() == 0  # no Zalo message: the phone is not on Zalo
    shoot(phone, "signup-sms-phone")
    page.fill("#id_code", code)
    page.get_by_role("button", name="Xác thực").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("header .who").inner_text() == "Xin chào, Phan Thị Sương"
    assert OtpChallenge.objects.get(phone="84999000118").channel == "sms"
