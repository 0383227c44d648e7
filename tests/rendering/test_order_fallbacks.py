"""ORDER_* accessors written as a list of fallbacks ("shipping phone, else the customer's"),
and a missing related object read as no value (issue 16)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ObjectDoesNotExist

from demo_shop.shop.models import Customer, Order
from tests.factories import BindingFactory, OrderFactory
from zns_notify.checks import check_settings
from zns_notify.models import Message
from zns_notify.rendering.order_data import resolve


def accessors(settings, **values):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, **values}


class Unsaved:
    """An order whose one-to-one relation has no row, as Django raises it."""

    @property
    def shipping_address(self):
        raise Order.customer.RelatedObjectDoesNotExist("Order has no shipping_address.")

    phone = "0912 000 111"


def test_the_first_non_empty_accessor_wins():
    order = Order(phone="", customer=Customer(full_name="Lan", phone="0987 654 321"))
    assert resolve(order, ["phone", "customer.phone"]) == "0987 654 321"
    order.phone = "0912 345 678"
    assert resolve(order, ["phone", "customer.phone"]) == "0912 345 678"


def test_none_blank_text_and_a_none_on_the_path_are_empty():
    order = Order(phone="   ", customer=None, customer_name="Lan")
    assert resolve(order, ["customer.phone", "phone", lambda o: None, "customer_name"]) == "Lan"


def test_a_missing_related_object_is_empty_not_an_error():
    assert issubclass(Order.customer.RelatedObjectDoesNotExist, ObjectDoesNotExist)
    assert resolve(Unsaved(), "shipping_address.phone") is None
    assert resolve(Unsaved(), ["shipping_address.phone", "phone"]) == "0912 000 111"


def test_when_every_accessor_is_empty_the_value_is_empty():
    assert resolve(Order(phone="", customer=None), ["customer.phone", "phone"]) == ""


@pytest.mark.django_db
def test_a_message_takes_the_fallback_phone_and_name(settings):
    BindingFactory(event="order_created")
    accessors(
        settings,
        ORDER_PHONE=["phone", "customer.phone"],
        ORDER_CUSTOMER_NAME=["customer_name", "customer.full_name"],
    )
    customer = Customer.objects.create(full_name="Trần Văn Minh", phone="0987 654 321")
    OrderFactory(phone="", customer_name="", customer=customer)
    message = Message.objects.get()
    assert message.status == Message.Status.QUEUED
    assert message.phone == "84987654321"
    assert message.params["customer_name"] == "Trần Văn Minh"


@pytest.mark.django_db
def test_an_accessor_that_raises_still_fails_the_message_naming_the_setting(settings):
    BindingFactory(event="order_created")

    def explode(order):
        raise LookupError("phone service down")

    accessors(settings, ORDER_PHONE=["customer.phone", explode, "phone"])
    OrderFactory(customer=None)
    message = Message.objects.get()
    assert message.status == Message.Status.FAILED
    assert 'ZNS_NOTIFY["ORDER_PHONE"]' in message.error_message
    assert "phone service down" in message.error_message


def e007() -> list[str]:
    return [p.msg for p in check_settings() if p.id == "zns_notify.E007"]


def test_the_check_accepts_a_list_of_good_accessors(settings):
    accessors(settings, ORDER_PHONE=["phone", "customer.phone", len])
    assert e007() == []


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ([], "is an empty list"),
        (["phone", "customer.mobile"], "(2: 'customer.mobile')"),
        (("phone", 42), "(2: 42) that is not a string or a callable"),
    ],
)
def test_the_check_names_the_broken_accessor_of_a_list(settings, value, says):
    accessors(settings, ORDER_PHONE=value)
    [problem] = e007()
    assert 'ZNS_NOTIFY["ORDER_PHONE"]' in problem and says in problem
