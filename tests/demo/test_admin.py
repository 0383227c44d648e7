"""Admin pages and the order-step actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from demo_shop.shop.models import Order

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:shop_order_changelist")


def run_action(client, action, orders, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [order.pk for order in orders], **extra}
    return client.post(CHANGELIST, data, follow=True)


@pytest.mark.parametrize("model", ["product", "customer", "order"])
def test_changelists_and_add_pages_load(admin_client, model, make_order):
    make_order()
    assert admin_client.get(reverse(f"admin:shop_{model}_changelist")).status_code == 200


def test_order_change_page_shows_its_lines(admin_client, make_order):
    order = make_order()
    response = admin_client.get(reverse("admin:shop_order_change", args=[order.pk]))
    assert response.status_code == 200
    assert "Cà phê G7 hòa tan" in response.text


def test_mark_paid_moves_each_selected_order(admin_client, make_order):
    orders = [make_order(), make_order()]
    run_action(admin_client, "mark_paid", orders)
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.PAID}


def test_an_order_in_the_wrong_state_is_reported_and_the_others_still_move(
    admin_client, make_order
):
    new, delivered = make_order(), make_order(Order.Status.DELIVERED)
    response = run_action(admin_client, "mark_paid", [new, delivered])
    new.refresh_from_db()
    delivered.refresh_from_db()
    assert (new.status, delivered.status) == (Order.Status.PAID, Order.Status.DELIVERED)
    shown = [str(message) for message in response.context["messages"]]
    assert any(delivered.code in message for message in shown)
    assert any("1" in message and new.code not in message for message in shown)


def test_mark_shipped_first_asks_for_carrier_and_delivery_date(admin_client, make_order):
    order = make_order(Order.Status.PAID)
    response = run_action(admin_client, "mark_shipped", [order])
    assert response.templates[0].name == "admin/shop/order/mark_shipped.html"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_mark_shipped_with_a_carrier_sets_tracking_code_and_eta(admin_client, make_order):
    order = make_order(Order.Status.PAID)
    run_action(admin_client, "mark_shipped", [order], apply="1", carrier="GHTK", eta="2025-03-15")
    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_code, order.eta) == (
        Order.Status.SHIPPED,
        "Giao Hàng Tiết Kiệm",
        f"GHTK{order.code}",
        dt.date(2025, 3, 15),
    )


def test_mark_shipped_keeps_a_tracking_code_the_operator_typed(admin_client, make_order):
    order = make_order(Order.Status.PAID)
    Order.objects.filter(pk=order.pk).update(tracking_code="GHTK.S22.123456")
    run_action(admin_client, "mark_shipped", [order], apply="1", carrier="GHTK", eta="2025-03-15")
    order.refresh_from_db()
    assert order.tracking_code == "GHTK.S22.123456"


def test_mark_shipped_with_an_invalid_date_asks_again(admin_client, make_order):
    order = make_order(Order.Status.PAID)
    response = run_action(
        admin_client, "mark_shipped", [order], apply="1", carrier="GHTK", eta="tomorrow"
    )
    assert "eta" in response.context["form"].errors
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_mark_delivered_and_cancel(admin_client, make_order):
    shipped, new = make_order(Order.Status.SHIPPED), make_order()
    run_action(admin_client, "mark_delivered", [shipped])
    run_action(admin_client, "cancel", [new])
    shipped.refresh_from_db()
    new.refresh_from_db()
    assert (shipped.status, new.status) == (Order.Status.DELIVERED, Order.Status.CANCELLED)
    assert shipped.delivered_at is not None
