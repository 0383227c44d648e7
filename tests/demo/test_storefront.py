"""Storefront: catalogue, cart and checkout, including every way checkout can be refused."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from demo_shop.shop.models import Order

pytestmark = pytest.mark.django_db

CHECKOUT = {
    "customer_name": "Trần Thị Bích Ngọc",
    "phone": "0903.217.456",
    "payment_method": "bank_transfer",
}


@pytest.fixture
def cart_with_coffee(client, coffee):
    client.post(reverse("shop:cart_add"), {"product_id": coffee.pk, "quantity": 2})
    return client


def test_product_list_shows_products_with_vnd_prices(client, coffee, fish_sauce):
    response = client.get(reverse("shop:product_list"))
    assert response.status_code == 200
    assert "Cà phê G7 hòa tan" in response.text
    assert "58.000 ₫" in response.text


def test_storefront_speaks_the_default_language_vietnamese(client, coffee, settings):
    settings.LANGUAGE_CODE = "vi"  # the demo's default (demo_shop.settings)
    assert "Thêm vào giỏ" in client.get(reverse("shop:product_list")).text


def test_storefront_speaks_english_to_english_browsers(client, coffee, settings):
    settings.LANGUAGE_CODE = "vi"
    page = client.get(reverse("shop:product_list"), headers={"accept-language": "en"})
    assert "Add to cart" in page.text


def test_added_products_show_in_the_cart_with_their_total(cart_with_coffee, fish_sauce):
    cart_with_coffee.post(reverse("shop:cart_add"), {"product_id": fish_sauce.pk, "quantity": 1})
    response = cart_with_coffee.get(reverse("shop:cart"))
    assert [line.quantity for line in response.context["lines"]] == [2, 1]
    assert response.context["total"] == 2 * 58_000 + 95_000


def test_setting_a_quantity_to_zero_removes_the_line(cart_with_coffee, coffee):
    cart_with_coffee.post(reverse("shop:cart"), {"product_id": coffee.pk, "quantity": 0})
    assert cart_with_coffee.get(reverse("shop:cart")).context["lines"] == []


def test_adding_an_invalid_quantity_changes_nothing(client, coffee):
    client.post(reverse("shop:cart_add"), {"product_id": coffee.pk, "quantity": 0})
    assert client.get(reverse("shop:cart")).context["lines"] == []


def test_checkout_places_a_new_order_with_its_lines(cart_with_coffee):
    response = cart_with_coffee.post(reverse("shop:checkout"), CHECKOUT)
    order = Order.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("shop:order_confirmation", args=[order.code])
    assert (order.status, order.customer_name, order.payment_method, order.total) == (
        Order.Status.NEW,
        "Trần Thị Bích Ngọc",
        "bank_transfer",
        116_000,
    )
    assert [(item.product_name, item.unit_price, item.quantity) for item in order.items.all()] == [
        ("Cà phê G7 hòa tan", 58_000, 2)
    ]
    assert order.customer is None  # guest checkout: name and phone live on the order


def test_checkout_empties_the_cart_and_shows_the_confirmation(cart_with_coffee):
    response = cart_with_coffee.post(reverse("shop:checkout"), CHECKOUT, follow=True)
    order = Order.objects.get()
    assert order.code in response.text
    assert "116.000 ₫" in response.text
    assert len(response.context["cart"]) == 0


@pytest.mark.parametrize(
    "typed", ["0912 345 678", "+84 912-345-678", "(091) 234.5678", "84912345678"]
)
def test_checkout_stores_the_phone_exactly_as_typed(cart_with_coffee, typed):
    cart_with_coffee.post(reverse("shop:checkout"), {**CHECKOUT, "phone": typed})
    assert Order.objects.get().phone == typed


def test_a_well_formed_number_zalo_may_not_reach_is_still_accepted(cart_with_coffee):
    # A landline is a phone number; zns_notify, not the shop, decides it cannot get a ZNS.
    cart_with_coffee.post(reverse("shop:checkout"), {**CHECKOUT, "phone": "028 3822 1234"})
    assert Order.objects.get().phone == "028 3822 1234"


@pytest.mark.parametrize(
    "typed", ["abc", "0912-ABC-678", "12345678", "0912 345 678 901 234 5", "0912#345678", ""]
)
def test_checkout_refuses_a_malformed_phone(cart_with_coffee, typed):
    response = cart_with_coffee.post(reverse("shop:checkout"), {**CHECKOUT, "phone": typed})
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    assert not Order.objects.exists()
    assert len(response.context["cart"]) == 2  # the cart is kept for a second try


@pytest.mark.parametrize("name", ["", "   "])
def test_checkout_refuses_a_missing_name(cart_with_coffee, name):
    response = cart_with_coffee.post(reverse("shop:checkout"), {**CHECKOUT, "customer_name": name})
    assert "customer_name" in response.context["form"].errors
    assert not Order.objects.exists()


def test_checkout_refuses_an_unknown_payment_method(cart_with_coffee):
    data = {**CHECKOUT, "payment_method": "bitcoin"}
    response = cart_with_coffee.post(reverse("shop:checkout"), data)
    assert "payment_method" in response.context["form"].errors
    assert not Order.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_checkout_with_an_empty_cart_sends_the_customer_back_to_the_products(
    client, coffee, method
):
    response = getattr(client, method)(reverse("shop:checkout"), CHECKOUT, follow=True)
    assert response.redirect_chain == [(reverse("shop:product_list"), 302)]
    assert [message.level_tag for message in response.context["messages"]] == ["error"]
    assert not Order.objects.exists()


def test_a_product_withdrawn_after_adding_leaves_the_cart_empty(cart_with_coffee, coffee):
    coffee.is_available = False
    coffee.save()
    response = cart_with_coffee.post(reverse("shop:checkout"), CHECKOUT)
    assert response.url == reverse("shop:product_list")
    assert not Order.objects.exists()


def test_the_confirmation_page_is_only_for_the_browser_that_ordered(cart_with_coffee):
    cart_with_coffee.post(reverse("shop:checkout"), CHECKOUT)
    code = Order.objects.get().code
    stranger = Client()
    assert stranger.get(reverse("shop:order_confirmation", args=[code])).status_code == 404
    assert cart_with_coffee.get(reverse("shop:order_confirmation", args=[code])).status_code == 200
