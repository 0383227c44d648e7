"""The shop as its customers and staff use it, end to end: a guest's and a signed-in
customer's checkout on Oscar's web pages, and an order moved on through Oscar's dashboard,
each message sent to the sandbox and delivered by its signed webhook exactly once."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from oscar.core.loading import get_model

from tests.contrib.oscar.fixtures import address, deliver, place_order

Order = get_model("order", "Order")
ShippingEventType = get_model("order", "ShippingEventType")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")
UserAddress = get_model("address", "UserAddress")

pytestmark = pytest.mark.django_db(transaction=True)

COD = "Thanh toán khi nhận hàng"  # the forked checkout's source type (docs/oscar.md)


def redirected_to(response, name: str) -> bool:
    return response.status_code == 302 and response["Location"] == reverse(name)


GUEST_ADDRESS = {
    "first_name": "Nguyễn Thị",
    "last_name": "Lan",
    "line1": "12 Tràng Tiền",
    "line4": "Hà Nội",
    "postcode": "100000",
    "country": "VN",
    "phone_number": "0912 345 678",
}


def add_to_basket(client, product) -> None:
    response = client.post(reverse("basket:add", kwargs={"pk": product.pk}), {"quantity": 1})
    assert response.status_code == 302


def place_from_shipping_method(client) -> Order:
    """The rest of Oscar's checkout once the shipping address is chosen."""
    # One shipping method, no payment form: Oscar's checkout moves on by itself.
    response = client.get(reverse("checkout:shipping-method"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("checkout:payment-details")
    assert client.post(reverse("checkout:preview")).status_code == 200
    response = client.post(reverse("checkout:preview"), {"action": "place_order"})
    assert redirected_to(response, "checkout:thank-you"), response.content[:3000]
    return Order.objects.latest("pk")


def start_guest_checkout(client, catalogue) -> None:
    add_to_basket(client, catalogue.shirt)
    response = client.post(
        reverse("checkout:index"), {"username": "lan@example.vn", "options": "anonymous"}
    )
    assert redirected_to(response, "checkout:shipping-address"), response


def test_a_guest_checkout_on_the_web_is_announced_once(bindings, connected, catalogue, client):
    start_guest_checkout(client, catalogue)
    response = client.post(reverse("checkout:shipping-address"), GUEST_ADDRESS)
    assert redirected_to(response, "checkout:shipping-method"), response.content[:3000]
    order = place_from_shipping_method(client)

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


def test_the_checkout_asks_a_guest_for_the_phone_the_messages_go_to(catalogue, client):
    # docs/oscar.md adds the phone to OSCAR_REQUIRED_ADDRESS_FIELDS: a guest has no other.
    start_guest_checkout(client, catalogue)
    response = client.post(
        reverse("checkout:shipping-address"), {**GUEST_ADDRESS, "phone_number": ""}
    )
    assert response.status_code == 200
    assert "phone_number" in response.context["form"].errors
    assert not Order.objects.exists()


def test_a_customer_shipping_to_a_book_address_without_a_phone_gets_the_book_s_phone(
    bindings, connected, catalogue, client
):
    customer = get_user_model().objects.create_user("lan", "lan@example.vn", "x")
    # An address saved before the shop required a phone, and one with the phone.
    old = address(UserAddress, catalogue, user=customer, phone_number="")
    address(UserAddress, catalogue, name=("Nguyễn Thị", "Lan"), user=customer,
            line1="5 Hàng Bài", phone_number="0987 654 321")  # fmt: skip
    client.force_login(customer)
    add_to_basket(client, catalogue.shirt)
    response = client.get(reverse("checkout:index"))
    assert redirected_to(response, "checkout:shipping-address"), response
    response = client.post(
        reverse("checkout:shipping-address"), {"address_id": old.pk, "action": "ship_to"}
    )
    assert redirected_to(response, "checkout:shipping-method"), response
    order = place_from_shipping_method(client)

    assert order.user == customer and not order.shipping_address.phone_number
    created = deliver(connected, ["order_created"])["order_created"]
    assert created.phone == "84987654321"
    assert created.params["customer_name"] == "Lê Hoàng Nam"  # the address shipped to


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
