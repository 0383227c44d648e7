"""The shop as its customers and staff use it, end to end: a guest's checkout on Oscar's web
pages, and an order moved on through Oscar's dashboard, each message sent to the sandbox
and delivered by its signed webhook exactly once."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from oscar.core.loading import get_model

from tests.contrib.oscar.fixtures import deliver, place_order

Order = get_model("order", "Order")
ShippingEventType = get_model("order", "ShippingEventType")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")

pytestmark = pytest.mark.django_db(transaction=True)

COD = "Thanh toán khi nhận hàng"  # the forked checkout's source type (docs/oscar.md)


def redirected_to(response, name: str) -> bool:
    return response.status_code == 302 and response["Location"] == reverse(name)


def test_a_guest_checkout_on_the_web_is_announced_once(bindings, connected, catalogue, client):
    response = client.post(
        reverse("basket:add", kwargs={"pk": catalogue.shirt.pk}), {"quantity": 1}
    )
    assert response.status_code == 302
    response = client.post(
        reverse("checkout:index"), {"username": "lan@example.vn", "options": "anonymous"}
    )
    assert redirected_to(response, "checkout:shipping-address"), response
    response = client.post(
        reverse("checkout:shipping-address"),
        {
            "first_name": "Nguyễn Thị",
            "last_name": "Lan",
            "line1": "12 Tràng Tiền",
            "line4": "Hà Nội",
            "postcode": "100000",
            "country": "VN",
            "phone_number": "0912 345 678",
        },
    )
    assert redirected_to(response, "checkout:shipping-method"), response.content[:3000]
    # One shipping method, no payment form: Oscar's checkout moves on by itself.
    response = client.get(reverse("checkout:shipping-method"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("checkout:payment-details")
    assert client.post(reverse("checkout:preview")).status_code == 200
    response = client.post(reverse("checkout:preview"), {"action": "place_order"})
    assert redirected_to(response, "checkout:thank-you"), response.content[:3000]

    order = Order.objects.get()
    assert order.guest_email == "lan@example.vn" and order.num_lines == 1
    created = deliver(connected, ["order_created"])["order_created"]
    assert created.phone == "84912345678"
    assert created.params["customer_name"] == "Nguyễn Thị Lan"
    assert created.params["order_date"] == "1 dòng"
    assert created.order_ref == order.number

    # The checkout recorded its payment source after order_placed: the next message has it.
    order.set_status("Paid")
    paid = deliver(connected, ["order_created", "order_paid"])["order_paid"]
    assert paid.params["payment_method"] == COD


def test_the_dashboard_moves_an_order_through_its_statuses(bindings, connected, catalogue, client):
    order = place_order(catalogue)
    card, _ = SourceType.objects.get_or_create(name="Chuyển khoản")
    Source.objects.create(order=order, source_type=card, amount_allocated=order.total_incl_tax)
    shipped = ShippingEventType.objects.create(name="Đã gửi hàng")
    staff = get_user_model().objects.create_user(
        "nhanvien", "nhanvien@example.vn", "x", is_staff=True
    )
    # Oscar 4.2's permission-based dashboard: the order pages need the order permissions.
    staff.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="order", codename__in=["view_order", "change_order"]
        )
    )
    client.force_login(staff)
    page = reverse("dashboard:order-detail", kwargs={"number": order.number})

    def change_status(status: str) -> None:
        response = client.post(page, {"order_action": "change_order_status", "new_status": status})
        assert response.status_code == 302
        order.refresh_from_db()
        assert order.status == status

    change_status("Paid")
    line = order.lines.get(product=catalogue.shirt)
    response = client.post(
        page,
        {
            "line_action": "create_shipping_event",
            "selected_line": [line.pk],
            f"selected_line_qty_{line.pk}": line.quantity,
            "shipping_event_type": shipped.code,
            "reference": "GHN123456789",
        },
    )
    assert response.status_code == 302 and order.shipping_events.count() == 1
    change_status("Shipped")
    change_status("Delivered")

    messages = deliver(
        connected, ["order_created", "order_paid", "order_shipped", "order_delivered"]
    )
    assert messages["order_paid"].params["payment_method"] == "Chuyển khoản"
    assert messages["order_shipped"].params["carrier"] == "Giao Hàng Nhanh"
    assert messages["order_shipped"].params["tracking_code"] == "GHN123456789"
    assert client.get(page).status_code == 200
