"""The binding editor checks a binding against orders that have their relations: the
order chosen in the preview, else the shop's newest orders, else a sample built with its
related objects; it never refuses an expression that renders for those real orders."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from demo_shop.shop.models import Customer
from tests.admin.test_admin_bindings import change_url, editor_data, field_errors
from tests.factories import BindingFactory, OrderFactory
from tests.users import staff_user
from zns_notify.admin.binding_form import PREVIEW_ORDER
from zns_notify.models import Binding

pytestmark = pytest.mark.django_db

PREVIEW = "admin:zns_notify_binding_preview"
#: A required param read through the order's foreign key to its customer.
THROUGH_RELATION = "{{ order.customer.full_name|zns_truncate:30 }}"


def customer_order(name: str = "Trần Văn Bình"):
    return OrderFactory(customer=Customer.objects.create(full_name=name, phone="0987 654 321"))


def warnings(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]


def test_a_path_through_a_relation_saves_without_orders(admin_client):
    """The issue's defect: the sample order had no customer, so the save was refused
    "With sample data: Parameter customer_name is required but rendered empty"."""
    binding = BindingFactory()
    response = admin_client.post(
        change_url(binding), editor_data(binding, customer_name=THROUGH_RELATION)
    )
    assert response.status_code == 302, field_errors(response, "customer_name")
    assert Binding.objects.get(pk=binding.pk).params["customer_name"] == THROUGH_RELATION


def test_a_path_through_a_relation_saves_with_the_chosen_order(admin_client):
    """Choosing a real order that has the relation did not help: the sample still refused."""
    binding = BindingFactory()
    order = customer_order()
    response = admin_client.post(
        change_url(binding),
        {**editor_data(binding, customer_name=THROUGH_RELATION), "zns_preview_order": order.code},
    )
    assert response.status_code == 302, field_errors(response, "customer_name")


def test_the_chosen_order_without_the_relation_refuses_it(admin_client):
    binding = BindingFactory()
    customer_order()
    guest = OrderFactory()
    response = admin_client.post(
        change_url(binding),
        {**editor_data(binding, customer_name=THROUGH_RELATION), "zns_preview_order": guest.code},
    )
    assert response.status_code == 200
    assert field_errors(response, "customer_name") == (
        f"With order {guest.code}: Parameter customer_name is required but rendered empty."
    )


def test_empty_for_some_recent_orders_saves_with_a_warning_naming_them(admin_client):
    binding = BindingFactory()
    first_guest = OrderFactory()
    customer_order()
    second_guest = OrderFactory()
    response = admin_client.post(
        change_url(binding), editor_data(binding, customer_name=THROUGH_RELATION)
    )
    assert response.status_code == 302, field_errors(response, "customer_name")
    [warning] = warnings(response)
    assert warning == (
        f"For orders {second_guest.code}, {first_guest.code}: Parameter customer_name is "
        "required but rendered empty. It renders for 1 of the 3 newest orders: saving is "
        "allowed, but such orders' messages would fail."
    )


def test_empty_for_every_recent_order_is_refused(admin_client):
    binding = BindingFactory()
    OrderFactory()
    OrderFactory()
    response = admin_client.post(
        change_url(binding), editor_data(binding, customer_name=THROUGH_RELATION)
    )
    assert response.status_code == 200
    assert field_errors(response, "customer_name") == (
        "With each of the 2 newest orders: Parameter customer_name is required but rendered empty."
    )


def test_too_long_for_one_recent_order_saves_with_a_warning_naming_it(admin_client):
    """A length depends on the order's data like an empty value: {{ customer_name }} is
    fine for the other orders, so the save warns (that order's message would fail) and the
    operator can add zns_truncate."""
    binding = BindingFactory()
    OrderFactory(customer_name="Lan")
    long_name = OrderFactory(customer_name="Tôn Nữ Thị Hoàng Yến Nhi Phương Trang")
    OrderFactory(customer_name="Bình")
    response = admin_client.post(change_url(binding), editor_data(binding))
    assert response.status_code == 302, field_errors(response, "customer_name")
    [warning] = warnings(response)
    assert warning.startswith(
        f"For order {long_name.code}: Parameter customer_name is 37 characters; "
        "Zalo allows at most 30. It renders for 2 of the 3 newest orders"
    )


def test_too_long_for_the_chosen_order_is_refused_naming_it(admin_client):
    binding = BindingFactory()
    OrderFactory(customer_name="Lan")
    long_name = OrderFactory(customer_name="Tôn Nữ Thị Hoàng Yến Nhi Phương Trang")
    response = admin_client.post(
        change_url(binding), {**editor_data(binding), PREVIEW_ORDER: long_name.code}
    )
    assert response.status_code == 200
    assert field_errors(response, "customer_name") == (
        f"With order {long_name.code}: Parameter customer_name is 37 characters; "
        "Zalo allows at most 30."
    )


def test_the_preview_shows_what_the_save_checks(admin_client):
    """No order chosen: the phone draws the newest order, the note says which orders the
    save checks, and each field carries the save's verdict."""
    binding = BindingFactory()
    guest = OrderFactory()
    newest = customer_order("Lê Thị Hoa")
    answer = admin_client.post(
        reverse(PREVIEW), editor_data(binding, customer_name=THROUGH_RELATION)
    ).json()
    assert answer["params"]["customer_name"]["value"] == "Lê Thị Hoa"
    assert f"Preview with order {newest.code}" in answer["html"]
    assert answer["checked"] == "Saving checks the 2 newest orders."
    assert answer["checked"] in answer["html"]
    verdict = answer["params"]["customer_name"]
    assert verdict["refused"] == "" and verdict["warning"].startswith(f"For order {guest.code}: ")
    assert answer["params"]["order_code"]["warning"] == ""

    chosen = admin_client.post(
        reverse(PREVIEW),
        {**editor_data(binding, customer_name=THROUGH_RELATION), "zns_preview_order": guest.code},
    ).json()
    assert chosen["checked"] == f"Saving checks order {guest.code}."
    assert chosen["params"]["customer_name"]["refused"] == (
        f"With order {guest.code}: Parameter customer_name is required but rendered empty."
    )


def test_the_preview_without_orders_uses_the_sample_with_its_relations(admin_client):
    binding = BindingFactory()
    answer = admin_client.post(
        reverse(PREVIEW), editor_data(binding, customer_name=THROUGH_RELATION)
    ).json()
    assert answer["ok"] is True
    assert answer["params"]["customer_name"]["value"] == "Full name"
    assert answer["checked"] == "Saving checks sample data (there are no orders yet)."
    assert "Preview with sample data" in answer["html"]


def test_who_may_not_render_orders_is_checked_against_the_sample(client):
    """Rendering real orders is the change permission's: a user who may only add bindings
    saves against the sample, and never learns anything of the shop's orders."""
    staff_user("add_binding", "view_binding", client=client)
    OrderFactory()  # a guest order: the relation is empty there
    binding = BindingFactory.build()
    binding.template.save()
    data = editor_data(binding, customer_name=THROUGH_RELATION)
    del data["binding"]
    response = client.post(reverse("admin:zns_notify_binding_add"), data)
    assert response.status_code == 302
    assert warnings(response) == []
    answer = client.post(reverse(PREVIEW), data).json()
    assert answer["checked"] == "Saving checks sample data."
