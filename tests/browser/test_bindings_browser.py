"""An operator (staff with the binding permissions, not a superuser) edits a binding in a real
browser: the phone preview follows the typing, an over-long param is flagged beside its
field and in the message, and "Send test" queues a development-mode message that the
worker sends to the sandbox, where the OA admin's phone shows it.

Screenshots: bindings-editor.png, bindings-overlong.png, bindings-send-test.png (and the
message in the log and on the sandbox's phone page)."""

from __future__ import annotations

import re

import pytest

from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN_PHONE = "0987 654 321"  # the sandbox's OA admin: development-mode sends reach it


@pytest.fixture
def sandbox(live_server, settings):
    """The Zalo sandbox on loopback, an OA connected to it and its templates synced."""
    from zns_notify.account.tokens import store_token_pair
    from zns_notify.bindings.template_sync import sync_templates
    from zns_notify.sandbox import SandboxServer

    zns = settings.ZNS_NOTIFY
    server = SandboxServer(
        app_id=zns["APP_ID"],
        app_secret=zns["APP_SECRET"],
        oa_secret_key=zns["OA_SECRET_KEY"],
        receipt_delay=0.2,
        seed=7,
    ).start()
    settings.ZNS_NOTIFY = {**zns, "API_BASE_URL": server.url, "OAUTH_BASE_URL": server.url}
    pair = server.mint_tokens()
    store_token_pair(
        access_token=pair["access_token"],
        refresh_token=pair["refresh_token"],
        expires_in=int(pair["expires_in"]),
    )
    sync_templates()
    yield server
    server.stop()


@pytest.fixture
def binding(sandbox):
    from zns_notify.models import Binding, Template

    return Binding.objects.create(
        name="Xác nhận đơn hàng",
        event="order_created",
        template=Template.objects.get(template_id="100001"),
        params={
            "customer_name": "{{ customer_name }}",
            "order_code": "{{ order_code }}",
            "order_date": "{{ order.created_at|zns_date }}",
            "total_amount": "{{ order.total|vnd }}",
        },
    )


def top(page):
    """Full-page screenshots of a scrolled page draw sticky parts (the admin's sidebar, the
    preview) mid-page: shoot from the top."""
    page.evaluate("window.scrollTo(0, 0)")
    return page


def row(page, param: str):
    return page.locator(f'#zns-preview .row[data-param="{param}"] span').last


def test_operator_edits_a_binding_previews_it_and_sends_a_test(
    open_admin, binding, sandbox, shoot, live_server
):
    from zns_notify.models import Message
    from zns_notify.sending.send import deliver

    order = OrderFactory(customer_name="Trần Thị Mai", total=2_450_000)
    page = open_admin()
    page.goto(f"/admin/zns_notify/binding/{binding.pk}/change/")

    # The preview draws the newest order as soon as the page opens (saving checks the
    # newest orders when none is chosen), and says so.
    assert row(page, "customer_name").inner_text() == "Trần Thị Mai"
    assert "Saving checks the newest order." in page.locator("#zns-preview").inner_text()
    assert page.locator("#zns-preview .card h3").inner_text() == "Xác nhận đơn hàng"

    # Editing a param redraws it (debounced), and its field says it fits.
    page.fill("#id_param__order_code", "Đơn {{ order_code }}")
    page.wait_for_function(
        "document.querySelector('#zns-preview .row[data-param=order_code] span:last-child')"
        f".textContent === 'Đơn {order.code}'"
    )
    fits = f"✓ {len('Đơn ' + order.code)} / 30"
    assert page.locator('.zns-flag[data-flag-for="order_code"]').inner_text() == fits

    # Against a real order, chosen by its reference.
    page.fill("#zns-preview-order", order.code)
    page.wait_for_function(
        "document.querySelector('#zns-preview .row[data-param=customer_name] span:last-child')"
        ".textContent === 'Trần Thị Mai'"
    )
    assert row(page, "total_amount").inner_text() == "2.450.000"
    shoot(top(page), "bindings-editor")

    # An over-long value: flagged beside its field and in the message, with the reason.
    page.fill("#id_param__customer_name", "{{ customer_name }} cùng toàn thể gia đình")
    flag = page.locator('.zns-flag[data-flag-for="customer_name"]')
    flag.locator("text=Zalo allows at most 30").wait_for()
    assert flag.inner_text() == (
        "⚠ Parameter customer_name is 35 characters; Zalo allows at most 30."
    )
    assert page.locator("#zns-preview .row.flagged").count() == 1
    assert "1 problem" in page.locator("#zns-preview .meta").inner_text()
    shoot(top(page), "bindings-overlong")

    # Saving it is refused, naming the param; nothing is lost.
    page.click("input[name=_continue]")
    page.wait_for_load_state()
    assert page.locator(".field-param__customer_name .errorlist").inner_text() == (
        f"With order {order.code}: Parameter customer_name is 35 characters; "
        "Zalo allows at most 30."
    )
    assert page.locator("#zns-preview-order").input_value() == order.code  # still chosen
    binding.refresh_from_db()
    assert binding.params["customer_name"] == "{{ customer_name }}"

    # Back within the limit, a test goes to the OA admin's phone in development mode.
    page.fill("#id_param__customer_name", "{{ customer_name }}")
    # Editing the field retires the last save's error; the preview's flag takes over.
    assert page.locator(".field-param__customer_name .errorlist").count() == 0
    page.locator('.zns-flag-ok[data-flag-for="customer_name"]').wait_for()
    page.fill("#zns-test-phone", ADMIN_PHONE)
    page.click("#zns-send-test")
    page.locator(".zns-send-ok").wait_for()
    message = Message.objects.filter(development_mode=True).get()
    assert message.phone == "84987654321" and message.params["customer_name"] == "Trần Thị Mai"
    assert message.params["order_code"] == f"Đơn {order.code}"
    assert message.idempotency_key in page.locator(".zns-send-ok").inner_text()
    shoot(top(page), "bindings-send-test")

    # The worker sends it (here, in this process) and the log shows it sent.
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status in ("sent", "delivered") and message.msg_id
    page.click(".zns-send-ok a")
    page.wait_for_url(re.compile(rf"/admin/zns_notify/message/{message.pk}/change/"))
    assert "Test send in development mode" in page.locator(".zns-timeline").inner_text()
    shoot(top(page), "bindings-send-test-log")

    # The sandbox's phone page: what the admin's phone received.
    page.goto(f"{sandbox.url}/_sandbox/phone?phone=84987654321")
    assert "chế độ phát triển" in page.content() and "Trần Thị Mai" in page.content()
    shoot(top(page), "bindings-send-test-phone")


def test_operator_reads_a_template_and_the_editor_in_vietnamese(open_admin, binding, shoot):
    from zns_notify.models import Template

    page = open_admin(locale="vi-VN")
    page.goto("/admin/zns_notify/template/")
    badges = page.locator("#result_list .zns-badge")
    assert badges.count() == Template.objects.count()
    assert "Chờ duyệt" in badges.all_inner_texts()  # 100008 is pending review in the sandbox
    shoot(top(page), "templates-list-vi")
    template = Template.objects.get(template_id="100001")
    page.goto(f"/admin/zns_notify/template/{template.pk}/change/")
    assert page.locator(".zns-badge").inner_text() == "Đã kích hoạt"
    link = page.locator(".field-preview_link a")
    assert link.get_attribute("target") == "_blank"
    assert "Xem đơn hàng" in page.locator(".field-buttons_table").inner_text()
    # Sync needs change_template, which an operator does not have.
    assert page.locator("text=Đồng bộ từ Zalo").count() == 0
    shoot(top(page), "templates-page-vi")

    page.goto(f"/admin/zns_notify/binding/{binding.pk}/change/")
    row(page, "customer_name").wait_for()
    assert page.locator(".zns-editor-preview h2").inner_text() == "Xem trước"
    assert page.locator("#zns-send-test").inner_text() == "Gửi thử"
    assert "Xem trước với dữ liệu mẫu" in page.locator("#zns-preview .bar").inner_text()
    shoot(top(page), "bindings-editor-vi")


def test_the_params_follow_the_chosen_template(open_admin, operator, binding, shoot):
    from django.contrib.auth.models import Permission

    from zns_notify.models import Template

    operator.user_permissions.add(Permission.objects.get(codename="add_binding"))
    page = open_admin()
    page.goto("/admin/zns_notify/binding/add/")
    params = page.locator("#zns-params").inner_text()
    assert "Choose a template: its parameters appear here." in params
    # The preview is drawn by a fetch after the page loads: wait for it rather than race it.
    page.locator("#zns-preview", has_text="Choose a template to see the message.").wait_for()

    voucher = Template.objects.get(template_id="100007")
    page.select_option("#id_template", str(voucher.pk))
    page.locator("#id_param__voucher_code").wait_for()
    assert page.locator("input.zns-param").count() == 3  # customer_name, voucher_code, expiry_date
    page.fill("#id_param__customer_name", "{{ customer_name }}")
    page.fill("#id_param__voucher_code", "CAMON10")

    # Another template: the fields follow, what was typed for a shared name stays.
    shipped = Template.objects.get(template_id="100003")
    page.select_option("#id_template", str(shipped.pk))
    page.locator("#id_param__tracking_code").wait_for()
    assert page.locator("#id_param__voucher_code").count() == 0
    assert page.locator("#id_param__customer_name").input_value() == "{{ customer_name }}"
    # The preview names what is still missing.
    flag = page.locator('.zns-flag[data-flag-for="carrier"]')
    flag.locator("text=required by the template but not bound").wait_for()
    shoot(top(page), "bindings-add-follows-template")

    # An invalid condition is flagged beside its field too.
    page.fill("#id_condition", 'order.status == "new" and')
    page.locator("#zns-condition-flag.zns-flag-bad").wait_for()
    assert "not a valid if-expression" in page.locator("#zns-condition-flag").inner_text()
    page.fill("#id_condition", 'order.status == "new"')
    page.wait_for_function("document.getElementById('zns-condition-flag').textContent === ''")


def test_operator_writes_the_sms_fallback_and_sees_its_segments_and_cost(
    open_admin, binding, shoot, settings
):
    """The SMS fieldset: typing the text redraws the SMS as the customer receives it
    (diacritics stripped), with its segments, encoding, characters left and cost; a text
    over SMS_MAX_SEGMENTS is flagged, and saving it is refused beside the text."""
    from zns_notify.sms.providers import locmem

    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "SMS_PROVIDER": "locmem",
        "SMS_COST_PER_SEGMENT": 850,
    }
    locmem.reset()
    page = open_admin()
    page.goto(f"/admin/zns_notify/binding/{binding.pk}/change/")
    row(page, "customer_name").wait_for()
    assert page.locator("fieldset.zns-sms").count() == 1
    assert page.locator("input[name=sms_triggers]").count() == 6
    assert "Not on Zalo or cannot receive ZNS" in page.locator("fieldset.zns-sms").inner_text()

    page.check("#id_sms_enabled")
    page.fill("#id_sms_text", "Đơn {{ order_code }} của {{ params.customer_name }} đã xác nhận.")
    flag = page.locator("#zns-sms-flag")
    flag.locator("text=1 segment").wait_for()
    bubble = page.locator("#zns-sms-bubble .zns-sms-text")
    assert bubble.inner_text() == "Don DH000123 cua Nguyen Thi Lan da xac nhan."
    assert "GSM-7" in flag.inner_text() and "about 850 VND" in flag.inner_text()
    assert f"{160 - 44} characters left" in flag.inner_text()

    # Longer: two segments, twice the cost; the flag follows as the operator types.
    page.fill("#id_sms_text", "Đơn {{ order_code }} đã xác nhận. " * 7)  # 181 characters
    flag.locator("text=2 segments").wait_for()
    assert "about 1.700 VND" in flag.inner_text()
    shoot(top(page), "bindings-sms")

    # Over SMS_MAX_SEGMENTS (3): flagged, and saving is refused beside the text.
    page.fill("#id_sms_text", "Đơn {{ order_code }} đã xác nhận. " * 20)  # 519 characters
    page.locator("#zns-sms-flag.zns-flag-bad").wait_for()
    assert "4 segments" in flag.inner_text()
    page.click("input[name=_continue]")
    page.wait_for_load_state()
    assert "4 segments" in page.locator(".field-sms_text .errorlist").inner_text()
    binding.refresh_from_db()
    assert binding.sms_text == "" and binding.sms_enabled is False

    page.fill("#id_sms_text", "Don {{ order_code }} da xac nhan.")
    page.click("input[name=_continue]")
    page.wait_for_load_state()
    binding.refresh_from_db()
    assert binding.sms_enabled is True and binding.sms_text == "Don {{ order_code }} da xac nhan."
