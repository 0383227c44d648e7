"""The binding editor in the admin: one field per template param, saving refused with the
param named, the live preview, "Send test" in development mode, duplication."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django_q.models import OrmQ

from tests.factories import BindingFactory, OrderFactory, TemplateFactory, ZaloAccountFactory
from tests.users import staff_user
from zns_notify.models import Binding, Message, MessageEvent, Template

pytestmark = pytest.mark.django_db

PREVIEW = "admin:zns_notify_binding_preview"
SEND = "admin:zns_notify_binding_send_test"
FIELDS = "admin:zns_notify_binding_param_fields"


staff = staff_user


def editor_data(binding: Binding, **params: str) -> dict:
    """What the change page posts: the model fields, one field per param."""
    data = {
        "name": binding.name,
        "event": binding.event,
        "template": binding.template.pk,
        "is_active": "on" if binding.is_active else "",
        "delay_minutes": binding.delay_minutes,
        "condition": binding.condition,
        "binding": binding.pk,
    }
    expressions = {**binding.params, **params}
    data.update({f"param__{name}": value for name, value in expressions.items()})
    return {key: value for key, value in data.items() if value != ""}


def change_url(binding: Binding) -> str:
    return reverse("admin:zns_notify_binding_change", args=[binding.pk])


# -- the form ------------------------------------------------------------------------------


def test_one_field_per_param_with_its_limit_and_the_variables(admin_client):
    binding = BindingFactory()
    page = admin_client.get(change_url(binding)).content.decode()
    for name in ("customer_name", "order_code", "total_amount"):
        assert f'name="param__{name}"' in page
    assert 'value="{{ order.total|vnd }} đ"' in page
    assert "STRING, 0–20 characters after Unicode NFC, required, must not be empty." in page
    # The context the event path gives: its variables and the order model's fields.
    assert "<code>customer_name</code>" in page and "<code>order.total</code>" in page
    assert "<code>order.payment_method</code>" in page
    # The raw JSON is not the editor any more.
    assert 'name="params"' not in page


def test_saving_assembles_the_json_from_the_fields(admin_client):
    binding = BindingFactory()
    data = editor_data(binding, order_code="Đơn {{ order_code }}")
    response = admin_client.post(change_url(binding), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    binding.refresh_from_db()
    assert binding.params == {
        "customer_name": "{{ customer_name }}",
        "order_code": "Đơn {{ order_code }}",
        "total_amount": "{{ order.total|vnd }} đ",
    }


def field_errors(response, name: str) -> str:
    form = response.context["adminform"].form
    return " ".join(form.errors.get(f"param__{name}", []))


def test_a_missing_required_param_is_refused_naming_it(admin_client):
    binding = BindingFactory()
    data = editor_data(binding)
    del data["param__order_code"]
    response = admin_client.post(change_url(binding), data)
    assert response.status_code == 200
    assert field_errors(response, "order_code") == "order_code is required by the template."
    binding.refresh_from_db()
    assert "order_code" in binding.params  # nothing lost


def test_a_param_the_template_lacks_is_shown_and_refused_until_cleared(admin_client):
    binding = BindingFactory()
    Binding.objects.filter(pk=binding.pk).update(params={**binding.params, "ghost": "{{ phone }}"})
    page = admin_client.get(change_url(binding)).content.decode()
    assert 'name="param__ghost"' in page
    assert "ghost is not a parameter of this template: clear this field to remove it." in page

    response = admin_client.post(
        change_url(binding), editor_data(Binding.objects.get(pk=binding.pk))
    )
    assert response.status_code == 200
    assert field_errors(response, "ghost") == "ghost is not a parameter of this template."

    cleared = editor_data(Binding.objects.get(pk=binding.pk), ghost="")
    assert admin_client.post(change_url(binding), cleared).status_code == 302
    assert "ghost" not in Binding.objects.get(pk=binding.pk).params


def test_a_syntax_error_is_told_once_next_to_its_field(admin_client):
    binding = BindingFactory()
    response = admin_client.post(
        change_url(binding), editor_data(binding, customer_name="{{ customer_name|nope }}")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["param__customer_name"]
    assert len(errors) == 1 and "customer_name" in errors[0] and "nope" in errors[0]


def test_a_value_too_long_for_sample_data_is_refused(admin_client):
    binding = BindingFactory()
    response = admin_client.post(
        change_url(binding),
        editor_data(binding, total_amount="{{ order.total|vnd }} đồng, đã gồm thuế"),
    )
    assert response.status_code == 200
    assert field_errors(response, "total_amount") == (
        "With sample data: Parameter total_amount is 27 characters; Zalo allows at most 20."
    )
    assert "{{ order.total|vnd }} đ" == Binding.objects.get(pk=binding.pk).params["total_amount"]


def test_the_order_chosen_in_the_preview_is_checked_too(admin_client):
    binding = BindingFactory()
    data = editor_data(binding)
    assert admin_client.post(change_url(binding), data).status_code == 302  # sample data fits
    order = OrderFactory(customer_name="Tôn Nữ Thị Hoàng Yến Nhi Phương Trang")  # 37 characters
    OrderFactory()  # newer, and fine: the chosen order is the one checked
    response = admin_client.post(change_url(binding), {**data, "zns_preview_order": order.code})
    assert response.status_code == 200
    assert field_errors(response, "customer_name") == (
        f"With order {order.code}: Parameter customer_name is 37 characters; "
        "Zalo allows at most 30."
    )


def test_delay_and_condition_are_edited_on_the_page(admin_client):
    binding = BindingFactory()
    page = admin_client.get(change_url(binding)).content.decode()
    assert "When it is sent" in page and 'name="delay_minutes"' in page
    data = editor_data(binding)
    data.update(delay_minutes="30", condition='order.status == "new"')
    assert admin_client.post(change_url(binding), data).status_code == 302
    binding.refresh_from_db()
    assert (binding.delay_minutes, binding.condition) == (30, 'order.status == "new"')
    data["condition"] = "{% if %}"
    response = admin_client.post(change_url(binding), data)
    assert "without template tags or braces" in " ".join(
        response.context["adminform"].form.errors["condition"]
    )


def test_the_params_follow_another_template(admin_client):
    other = TemplateFactory(
        params=[
            {
                "name": "voucher_code",
                "require": True,
                "type": "STRING",
                "max_length": 12,
                "min_length": 4,
                "accept_null": False,
            }
        ]
    )
    answer = admin_client.get(reverse(FIELDS), {"template": other.pk}).json()
    assert 'name="param__voucher_code"' in answer["html"]
    assert "STRING, 4–12 characters" in answer["html"]
    assert "param__customer_name" not in answer["html"]
    empty = admin_client.get(reverse(FIELDS)).json()["html"]
    assert "Choose a template: its parameters appear here." in empty


def test_the_add_page_follows_a_template_given_in_the_url(admin_client):
    template = TemplateFactory()
    page = admin_client.get(
        reverse("admin:zns_notify_binding_add"), {"template": template.pk}
    ).content.decode()
    assert 'name="param__total_amount"' in page


# -- the preview ---------------------------------------------------------------------------


def test_preview_renders_sample_data_and_flags_an_over_long_param(admin_client):
    binding = BindingFactory()
    answer = admin_client.post(
        reverse(PREVIEW),
        editor_data(binding, customer_name="{{ customer_name }} và gia đình thân yêu"),
    ).json()
    assert answer["ok"] is False
    assert answer["params"]["order_code"] == {
        "field": "param__order_code",
        "value": "DH000123",
        "problem": "",
        "length": 8,
        "max": 30,
        "refused": "",
        "warning": "",
    }
    flagged = answer["params"]["customer_name"]
    assert flagged["value"] == "Nguyễn Thị Lan và gia đình thân yêu"
    assert flagged["problem"] == "Parameter customer_name is 35 characters; Zalo allows at most 30."
    assert flagged["refused"] == f"With sample data: {flagged['problem']}"  # as saving says
    assert "Preview with sample data" in answer["html"]
    assert 'class="row flagged" data-param="customer_name"' in answer["html"]
    assert "⚠ Parameter customer_name is 35 characters" in answer["html"]


def test_preview_with_a_real_order_by_reference_or_id(admin_client):
    binding = BindingFactory()
    order = OrderFactory(customer_name="Trần Văn Bình", total=99000)
    for typed in (order.code, str(order.pk)):
        answer = admin_client.post(
            reverse(PREVIEW), {**editor_data(binding), "zns_preview_order": typed}
        ).json()
        assert answer["ok"] is True
        assert answer["params"]["customer_name"]["value"] == "Trần Văn Bình"
        assert answer["params"]["total_amount"]["value"] == "99.000 đ"
        assert f"Preview with order {order.code}" in answer["html"]


@pytest.mark.parametrize(
    "phone,reason",
    [
        ("", "The order has no phone number."),
        ("024 3825 1234", "is a landline"),
    ],
)
def test_preview_warns_when_the_order_s_messages_cannot_reach_its_customer(
    admin_client, phone, reason
):
    """The params may all fit, but the order's own number cannot receive ZNS: its messages
    would fail, so "Ready to send" would mislead. Said on the phone, masked; a test send
    (to the phone typed for it) is still allowed."""
    binding = BindingFactory()
    order = OrderFactory(phone=phone)
    answer = admin_client.post(
        reverse(PREVIEW), {**editor_data(binding), "zns_preview_order": order.code}
    ).json()
    assert reason in answer["recipient_problem"]
    assert reason in answer["html"] and "Ready to send" not in answer["html"]
    assert "3825 1234" not in answer["html"]
    assert answer["ok"] is True  # the binding itself is fine


def test_preview_says_when_the_order_is_unknown(admin_client):
    binding = BindingFactory()
    response = admin_client.post(
        reverse(PREVIEW), {**editor_data(binding), "zns_preview_order": "DH999999"}
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("No order DH999999")


@pytest.mark.parametrize(
    "typed", ["abc", "12abc", "1.5", "-1", "99999999999999999999999", "DH%", "' OR 1=1 --"]
)
def test_preview_and_saving_answer_an_order_that_cannot_exist(admin_client, typed):
    """What is typed is a reference or a primary key: anything else is "no such order",
    never a server error, and the page still works afterwards (PostgreSQL included)."""
    binding = BindingFactory()
    OrderFactory()
    response = admin_client.post(
        reverse(PREVIEW), {**editor_data(binding), "zns_preview_order": typed}
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"No order {typed}")
    saved = admin_client.post(
        change_url(binding), {**editor_data(binding), "zns_preview_order": typed}
    )
    assert saved.status_code in (200, 302)
    assert admin_client.get(change_url(binding)).status_code == 200


def test_preview_offers_recent_orders(admin_client):
    binding = BindingFactory()
    orders = [OrderFactory(customer_name=f"Khách {n}") for n in range(3)]
    page = admin_client.get(change_url(binding)).content.decode()
    assert f'<option value="{orders[2].code}">{orders[2].code} · Khách 2</option>' in page


def test_preview_never_calls_the_orders_methods(admin_client):
    binding = BindingFactory()
    order = OrderFactory()
    admin_client.post(
        reverse(PREVIEW),
        {
            **editor_data(binding, customer_name="{{ order.cancel }}x"),
            "zns_preview_order": order.code,
        },
    )
    order.refresh_from_db()
    assert order.status == "new"


def test_preview_flags_render_failures_and_an_invalid_condition(admin_client):
    binding = BindingFactory()
    answer = admin_client.post(
        reverse(PREVIEW),
        {
            **editor_data(binding, order_code="{{ order_code|nope }}"),
            "condition": "order.status ==",
        },
    ).json()
    assert "the expression is invalid" in answer["params"]["order_code"]["problem"]
    assert any("not a valid if-expression" in p for p in answer["problems"])
    assert "not a valid if-expression" in answer["condition_problem"]


def test_preview_tells_whether_the_condition_holds_for_the_order(admin_client):
    binding = BindingFactory()
    order = OrderFactory()
    answer = admin_client.post(
        reverse(PREVIEW),
        {
            **editor_data(binding),
            "condition": 'order.status == "paid"',
            "zns_preview_order": order.code,
        },
    ).json()
    assert answer["condition"] == (
        "The condition does not hold for this order: the message would be cancelled."
    )


def test_preview_masks_a_real_customers_phone_without_the_permission(client):
    binding = BindingFactory()
    order = OrderFactory(phone="0912 345 678")
    client.force_login(staff("view_binding", "change_binding"))
    answer = client.post(
        reverse(PREVIEW),
        {**editor_data(binding, customer_name="{{ phone }}"), "zns_preview_order": order.code},
    ).json()
    assert answer["params"]["customer_name"]["value"] == "********678"
    assert "84912345678" not in answer["html"]


@pytest.mark.parametrize(
    "stored", ["0912 345 678", "+84 912 345 678", "(091) 234-5678", "0912.345.678"]
)
def test_preview_masks_the_phone_as_the_order_stores_it(client, stored):
    """A param reading the order's own field shows the number as the customer typed it,
    spaces and all: masked too, whatever its separators."""
    binding = BindingFactory()
    order = OrderFactory(phone=stored)
    client.force_login(staff("view_binding", "change_binding"))
    answer = client.post(
        reverse(PREVIEW),
        {
            **editor_data(binding, customer_name="Gọi {{ order.phone }} nhé"),
            "zns_preview_order": order.code,
        },
    ).json()
    value = answer["params"]["customer_name"]["value"]
    digits = "".join(c for c in stored if c.isdigit())
    assert value.startswith("Gọi ") and value.endswith(" nhé") and digits[-3:] in value
    assert sum(c.isdigit() for c in value) == 3, value
    assert stored not in answer["html"]


def test_preview_needs_a_binding_permission_and_a_post(client):
    binding = BindingFactory()
    client.force_login(staff("view_message"))
    assert client.post(reverse(PREVIEW), editor_data(binding)).status_code == 403
    assert client.get(reverse(FIELDS), {"template": binding.template.pk}).status_code == 403
    client.force_login(staff("view_binding"))
    assert client.get(reverse(PREVIEW)).status_code == 405
    assert client.post(reverse(PREVIEW), editor_data(binding)).status_code == 200


def test_only_who_may_edit_bindings_renders_a_real_order(client):
    """An expression reads any field of an order (address, notes…): typing them against
    real orders is editing power. With only "view binding" the preview uses sample data,
    and the page offers no customer's order."""
    binding = BindingFactory()
    order = OrderFactory(customer_name="Trần Văn Bình")
    client.force_login(staff("view_binding"))
    response = client.post(
        reverse(PREVIEW), {**editor_data(binding), "zns_preview_order": order.code}
    )
    assert response.status_code == 403
    assert "needs the permission to change bindings" in response.json()["error"]
    assert "Trần Văn Bình" not in response.content.decode()
    page = client.get(change_url(binding)).content.decode()
    assert "Trần Văn Bình" not in page and order.code not in page
    assert client.post(reverse(PREVIEW), editor_data(binding)).json()["ok"] is True

    client.force_login(staff("view_binding", "change_binding"))
    response = client.post(
        reverse(PREVIEW), {**editor_data(binding), "zns_preview_order": order.code}
    )
    assert response.json()["params"]["customer_name"]["value"] == "Trần Văn Bình"
    assert "Trần Văn Bình" in client.get(change_url(binding)).content.decode()


# -- send test -----------------------------------------------------------------------------


@pytest.fixture
def connected():
    return ZaloAccountFactory()


def test_send_test_queues_a_development_mode_message_with_its_own_key(
    admin_client, connected, admin_user
):
    binding = BindingFactory(condition='order.status == "paid"')  # a test is not held to it
    answer = admin_client.post(
        reverse(SEND), {**editor_data(binding), "test_phone": "0987 654 321"}
    ).json()
    assert answer["ok"] is True
    message = Message.objects.get()
    assert answer["url"] == reverse("admin:zns_notify_message_change", args=[message.pk])
    assert message.development_mode is True and message.status == "queued"
    assert message.phone == "84987654321"
    assert re.fullmatch(r"zns[0-9a-f]{40}", message.idempotency_key)
    assert message.idempotency_key in answer["message"]
    assert message.binding_id is None and message.template_id == binding.template_id
    assert message.params == {
        "customer_name": "Nguyễn Thị Lan",
        "order_code": "DH000123",
        "total_amount": "1.250.000 đ",
    }
    assert OrmQ.objects.count() == 1  # queued for the worker, like any message
    note = MessageEvent.objects.get(message=message)
    assert note.kind == "note" and str(binding) in note.detail and "sample data" in note.detail
    assert admin_user.username in note.detail and "84987654321" not in note.detail


@pytest.mark.parametrize("event", ["not_an_event", "x" * 100])
def test_send_test_refuses_an_event_the_shop_does_not_declare(admin_client, connected, event):
    """The event is posted by the page: one the shop does not declare would write a
    message no report or binding knows, or overflow the column (PostgreSQL: a 500)."""
    binding = BindingFactory()
    response = admin_client.post(
        reverse(SEND), {**editor_data(binding), "event": event, "test_phone": "0987 654 321"}
    )
    assert response.status_code == 400
    assert "Choose one of the shop's events" in response.json()["error"]
    assert not Message.objects.exists()


def test_send_test_never_collides_with_the_real_message(admin_client, connected):
    binding = BindingFactory()
    order = OrderFactory()  # the real order_created message
    real = Message.objects.get()
    for _ in range(2):
        assert admin_client.post(
            reverse(SEND),
            {**editor_data(binding), "test_phone": "0987654321", "zns_preview_order": order.code},
        ).json()["ok"]
    tests = Message.objects.exclude(pk=real.pk)
    assert tests.count() == 2 and len({m.idempotency_key for m in tests}) == 2
    assert real.idempotency_key not in {m.idempotency_key for m in tests}
    assert {m.order_ref for m in tests} == {order.code}


@pytest.mark.parametrize(
    "phone, reason",
    [
        ("12345", "is not a valid number"),
        ("", "The order has no phone number"),
        ("+1 415 555 0100", "is not Vietnamese"),
    ],
)
def test_send_test_refuses_an_invalid_phone(admin_client, connected, phone, reason):
    binding = BindingFactory()
    response = admin_client.post(reverse(SEND), {**editor_data(binding), "test_phone": phone})
    assert response.status_code == 400 and reason in response.json()["error"]
    assert not Message.objects.exists()


def test_send_test_refuses_an_unrenderable_binding(admin_client, connected):
    binding = BindingFactory()
    response = admin_client.post(
        reverse(SEND),
        {
            **editor_data(binding, total_amount="{{ order.total|vnd }} đồng, đã gồm thuế"),
            "test_phone": "0987654321",
        },
    )
    assert response.status_code == 400
    assert "Parameter total_amount is 27 characters" in response.json()["error"]
    assert not Message.objects.exists()


def test_send_test_refuses_a_template_zalo_does_not_allow(admin_client, connected):
    binding = BindingFactory()
    Template.objects.filter(pk=binding.template.pk).update(status="DISABLE")
    response = admin_client.post(
        reverse(SEND), {**editor_data(binding), "test_phone": "0987654321"}
    )
    assert response.status_code == 400
    assert "is DISABLE on Zalo; only ENABLE templates can be sent" in response.json()["error"]
    data = editor_data(binding)
    del data["template"]
    response = admin_client.post(reverse(SEND), {**data, "test_phone": "0987654321"})
    assert response.json()["error"] == "Choose a template first."
    assert not Message.objects.exists()


def test_send_test_refuses_without_a_connected_account(admin_client):
    binding = BindingFactory()
    response = admin_client.post(
        reverse(SEND), {**editor_data(binding), "test_phone": "0987654321"}
    )
    assert response.status_code == 400
    assert "No connected Zalo account" in response.json()["error"]
    ZaloAccountFactory(needs_reconnect=True)
    response = admin_client.post(
        reverse(SEND), {**editor_data(binding), "test_phone": "0987654321"}
    )
    assert "needs reconnecting" in response.json()["error"]
    assert not Message.objects.exists()


def test_send_test_needs_the_change_permission(client, connected):
    binding = BindingFactory()
    client.force_login(staff("view_binding"))
    response = client.post(reverse(SEND), {**editor_data(binding), "test_phone": "0987654321"})
    assert response.status_code == 403
    assert client.get(change_url(binding)).content.decode().count('id="zns-send-test"') == 0
    client.force_login(staff("view_binding", "change_binding"))
    assert client.get(reverse(SEND)).status_code == 405
    answer = client.post(reverse(SEND), {**editor_data(binding), "test_phone": "0987654321"}).json()
    assert answer["ok"] and "url" not in answer  # no link to a log this user cannot read
    assert Message.objects.filter(development_mode=True).count() == 1


# -- duplicate -----------------------------------------------------------------------------


def test_duplicate_action_makes_inactive_copies(admin_client):
    first = BindingFactory(name="Xác nhận đơn", delay_minutes=5, condition='order.status == "new"')
    second = BindingFactory(event="order_paid")
    response = admin_client.post(
        reverse("admin:zns_notify_binding_changelist"),
        {"action": "duplicate_selected", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert "2 inactive copies created" in response.content.decode()
    copy = Binding.objects.get(name="Copy of Xác nhận đơn")
    assert copy.is_active is False
    assert (copy.event, copy.template, copy.params, copy.delay_minutes, copy.condition) == (
        first.event,
        first.template,
        first.params,
        5,
        'order.status == "new"',
    )
    assert Binding.objects.filter(name=f"Copy of {second}", is_active=False).exists()
    assert Binding.objects.filter(is_active=True).count() == 2  # the originals, unchanged


def test_duplicate_needs_the_add_permission(client):
    binding = BindingFactory()
    client.force_login(staff("view_binding", "change_binding"))
    page = client.get(reverse("admin:zns_notify_binding_changelist")).content.decode()
    assert "duplicate_selected" not in page
    client.post(
        reverse("admin:zns_notify_binding_changelist"),
        {"action": "duplicate_selected", "_selected_action": [binding.pk]},
    )
    assert Binding.objects.count() == 1


def test_save_as_new_makes_an_inactive_copy(admin_client):
    binding = BindingFactory(name="Gốc")
    response = admin_client.post(
        change_url(binding), {**editor_data(binding), "_saveasnew": "1"}, follow=True
    )
    assert "The copy is inactive" in response.content.decode()
    copy = Binding.objects.exclude(pk=binding.pk).get()
    assert (copy.name, copy.is_active, copy.params) == ("Copy of Gốc", False, binding.params)
    assert Binding.objects.get(pk=binding.pk).is_active is True


def test_a_test_send_is_in_the_bindings_history(admin_client, connected):
    from django.contrib.admin.models import LogEntry

    binding = BindingFactory()
    admin_client.post(reverse(SEND), {**editor_data(binding), "test_phone": "0987654321"})
    entry = LogEntry.objects.get(object_id=str(binding.pk))
    key = Message.objects.get().idempotency_key
    assert entry.get_change_message() == f"Sent a test in development mode (message {key})."


def test_without_an_order_model_the_editor_uses_sample_values(admin_client, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_MODEL": None}
    binding = BindingFactory()
    page = admin_client.get(change_url(binding)).content.decode()
    assert "<code>customer_name</code>" in page and "<code>order.total</code>" not in page
    assert 'id="zns-preview-order"' in page and " disabled>" in page
    answer = admin_client.post(
        reverse(PREVIEW), editor_data(binding, total_amount="{{ order.total|vnd }}")
    ).json()
    assert answer["params"]["customer_name"]["value"] == "Nguyễn Thị Lan"
    assert answer["params"]["total_amount"]["problem"] == (
        "Parameter total_amount is required but rendered empty."
    )


def test_the_params_may_still_be_posted_as_one_json_object(admin_client):
    binding = BindingFactory()
    data = {
        key: value for key, value in editor_data(binding).items() if not key.startswith("param__")
    }
    data["params"] = (
        '{"customer_name": "{{ customer_name }}", '
        '"order_code": "Mã {{ order_code }}", '
        '"total_amount": "{{ order.total|vnd }}"}'
    )
    assert admin_client.post(change_url(binding), data).status_code == 302
    assert Binding.objects.get(pk=binding.pk).params["order_code"] == "Mã {{ order_code }}"
    response = admin_client.post(change_url(binding), {**data, "params": "[1, 2"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["params"] == [
        "Parameters must be a JSON object."
    ]
    page = response.content.decode()
    assert "Parameters must be a JSON object." in page  # shown above the params' fields


def test_preview_counts_characters_after_nfc(admin_client):
    import unicodedata

    binding = BindingFactory()
    name = "Nguyễn Thị Hoàng Anh Thư Trần"  # 29 characters once composed
    decomposed = unicodedata.normalize("NFD", name)
    assert len(decomposed) > 30
    answer = admin_client.post(
        reverse(PREVIEW), editor_data(binding, customer_name=decomposed)
    ).json()
    assert answer["params"]["customer_name"] == {
        "field": "param__customer_name",
        "value": name,
        "problem": "",
        "length": 29,
        "max": 30,
        "refused": "",
        "warning": "",
    }


@pytest.mark.parametrize("view", [PREVIEW, SEND])
def test_preview_and_send_test_need_the_csrf_token(view):
    """They render customers' data and queue messages: a page elsewhere cannot make an
    operator's browser call them."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create_superuser("root", password="pw"))
    binding = BindingFactory()
    response = client.post(reverse(view), {**editor_data(binding), "test_phone": "0912345678"})
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_names_from_zalo_are_escaped_in_the_editor_and_the_preview(admin_client):
    evil = '"><img src=x onerror=alert(1)>'
    template = TemplateFactory(
        name="<script>alert(1)</script>",
        params=[{"name": evil, "require": True, "type": "<b>STRING</b>", "max_length": 30}],
        buttons=[{"type": 1, "title": "<i>Xem</i>", "content": "javascript:alert(1)"}],
    )
    binding = BindingFactory(template=template, params={evil: "{{ order_code }}"})
    page = admin_client.get(change_url(binding)).content.decode()
    answer = admin_client.post(reverse(PREVIEW), {**editor_data(binding)}).json()
    fields = admin_client.get(reverse(FIELDS), {"template": template.pk}).json()["html"]
    for html in (page, answer["html"], fields):
        assert "<script>alert(1)" not in html and "<img src=x" not in html
        assert "<b>STRING" not in html and "<i>Xem" not in html
    assert answer["params"][evil]["value"] == "DH000123"


@pytest.mark.parametrize("typed", ["²", "¹²", "1²"])
def test_ids_in_superscript_digits_are_no_template_and_no_binding(admin_client, typed):
    """str.isdigit() holds for "²", which int() refuses: the editor's views treat such an
    id as nothing chosen instead of failing with a server error."""
    binding = BindingFactory()
    fields = admin_client.get(reverse(FIELDS), {"template": typed})
    assert fields.status_code == 200
    assert "Choose a template: its parameters appear here." in fields.json()["html"]
    for data in ({"binding": typed}, {"template": typed}):
        response = admin_client.post(reverse(PREVIEW), {"event": "order_created", **data})
        assert response.status_code == 200
    assert (
        admin_client.get(reverse("admin:zns_notify_binding_add"), {"template": typed}).status_code
        == 200
    )
    assert (
        admin_client.post(
            change_url(binding), {**editor_data(binding), "template": typed}
        ).status_code
        == 200
    )
