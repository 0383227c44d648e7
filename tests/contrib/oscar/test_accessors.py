"""What the adapter reads from an Oscar order: the phone and name fallbacks, the binding
variables, and the delivery log's link to the dashboard."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from oscar.core.loading import get_model

from tests.contrib.oscar.fixtures import address, deliver, place_order
from zns_notify.contrib.oscar.accessors import dashboard_order_url, payment_method, tracking_code
from zns_notify.models import Message
from zns_notify.rendering.order_data import order_variables, read_order

Order = get_model("order", "Order")
ShippingEventType = get_model("order", "ShippingEventType")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")
UserAddress = get_model("address", "UserAddress")

pytestmark = pytest.mark.django_db


def reread(order):
    """The order as a later request reads it (phone numbers parsed by Oscar's field)."""
    return read_order(Order.objects.get(pk=order.pk))


def customer(catalogue, phone="", **fields):
    user = get_user_model().objects.create_user(
        "minh", "minh@example.vn", "x", first_name="Võ", last_name="Minh"
    )
    if phone:
        address(UserAddress, catalogue, user=user, phone_number=phone, **fields)
    return user


def test_the_shipping_address_gives_the_phone_and_the_name(catalogue):
    facts = reread(place_order(catalogue, phone="+84912345678", billing=True))
    assert (facts.raw_phone, facts.customer_name) == ("+84912345678", "Lê Hoàng Nam")


def test_without_a_shipping_phone_the_customer_s_address_book_gives_it(catalogue):
    user = customer(catalogue, phone="+84987654321", is_default_for_shipping=True)
    address(UserAddress, catalogue, user=user, phone_number="+84911111111", line1="Khác")
    facts = reread(place_order(catalogue, user=user, phone=""))
    assert facts.raw_phone == "+84987654321"  # the default shipping address's


def test_a_guest_without_a_shipping_phone_has_none(catalogue):
    assert (
        read_order(place_order(catalogue, phone="", guest_email="lan@example.vn")).raw_phone == ""
    )


def test_without_a_shipping_address_the_billing_name_then_the_account_then_the_email(catalogue):
    billed = place_order(catalogue, shipping=False, billing=True)
    assert read_order(billed).customer_name == "Trần Thu"
    user = customer(catalogue)
    assert read_order(place_order(catalogue, user=user, shipping=False)).customer_name == "Võ Minh"
    guest = place_order(catalogue, shipping=False, guest_email="lan@example.vn")
    assert read_order(guest).customer_name == "lan@example.vn"


@pytest.mark.django_db(transaction=True)
def test_a_guest_known_only_by_email_is_greeted_by_it(bindings, connected, catalogue):
    order = place_order(catalogue, guest_email="lan@example.vn", shipping=True)
    order.shipping_address.first_name = order.shipping_address.last_name = ""
    order.shipping_address.save()
    order.set_status("Paid")
    paid = deliver(connected, ["order_created", "order_paid"])["order_paid"]
    assert paid.params["customer_name"] == "lan@example.vn"


def test_the_variables_read_shipping_events_and_payment_sources(catalogue):
    order = place_order(catalogue)
    assert {name: value() for name, value in order_variables(order).items()} == {
        "carrier": "Giao Hàng Nhanh",
        "tracking_code": "",
        "payment_method": "",
    }
    shipped = ShippingEventType.objects.create(name="Đã gửi hàng")
    order.shipping_events.create(event_type=shipped, notes="GHN0001")
    order.shipping_events.create(event_type=shipped, notes="  GHN0002\n")
    order.shipping_events.create(event_type=shipped, notes="")  # no reference typed
    for name in ["Thẻ quà tặng", "Chuyển khoản", "Thẻ quà tặng"]:
        kind, _ = SourceType.objects.get_or_create(name=name)
        Source.objects.create(order=order, source_type=kind, amount_allocated=100)
    assert (tracking_code(order), payment_method(order)) == (
        "GHN0002",
        "Thẻ quà tặng, Chuyển khoản",
    )


def test_the_order_link_is_the_dashboard_s_order_page(catalogue, settings):
    order = place_order(catalogue)
    assert dashboard_order_url("order.order", str(order.pk), str(order.number)) == (
        f"/dashboard/orders/{order.number}/"
    )
    assert dashboard_order_url("shop.order", "1", "1") is None
    # A shop that shows customers another code: the link still finds the order's number.
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_CODE": "pk"}
    assert dashboard_order_url("order.order", str(order.pk), str(order.pk)) == (
        f"/dashboard/orders/{order.number}/"
    )


@pytest.mark.django_db(transaction=True)
def test_the_delivery_log_links_a_message_to_the_dashboard(
    bindings, connected, catalogue, admin_client
):
    order = place_order(catalogue)
    message = deliver(connected, ["order_created"])["order_created"]
    link = f'href="/dashboard/orders/{order.number}/"'
    assert link in admin_client.get("/admin/zns_notify/message/").content.decode()
    detail = admin_client.get(f"/admin/zns_notify/message/{message.pk}/change/")
    assert link in detail.content.decode()
    assert Message.objects.count() == 1
