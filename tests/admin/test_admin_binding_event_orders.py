"""With no order chosen, saving a binding checks the orders it would be sent for: the
newest whose status fires the binding's event (ORDER_STATUS_EVENTS), among them those the
condition holds for; the shop's newest orders when no order has such a status. Review
findings #1, #8, #9 and #13 of issue 16."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from demo_shop.shop.models import Order
from tests.admin.test_admin_bindings import change_url, editor_data, field_errors
from tests.factories import BindingFactory, OrderFactory, ZaloAccountFactory
from tests.users import staff_user
from zns_notify.admin.binding_form import PREVIEW_ORDER
from zns_notify.models import Binding, Message

pytestmark = pytest.mark.django_db

PREVIEW = "admin:zns_notify_binding_preview"
SEND = "admin:zns_notify_binding_send_test"
TRACKING = "{{ order.tracking_code }}"
HINT = (
    "To check it against an order that has reached this event, choose that order in "
    "“Render with order”."
)
NOT_YET = (
    "No order has reached order_shipped yet: saving is allowed, and it will be checked "
    "when one has. To check it now, choose an order in “Render with order”."
)


def warnings(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]


def shipped(**fields) -> Order:
    return OrderFactory(
        status=Order.Status.SHIPPED, carrier="GHN", tracking_code="GHN123456", **fields
    )


def form_errors(response) -> list[str]:
    return list(response.context["adminform"].form.non_field_errors())


# -- the binding's event -------------------------------------------------------------------


def test_a_shipped_binding_is_checked_against_shipped_orders(admin_client):
    """The review's case: the newest orders are just placed and have no tracking code yet;
    the order_shipped binding reading it renders for every shipped order."""
    binding = BindingFactory(event="order_shipped")
    done = shipped()
    OrderFactory()
    OrderFactory()
    data = editor_data(binding, customer_name=TRACKING)
    response = admin_client.post(change_url(binding), data)
    assert response.status_code == 302, field_errors(response, "customer_name")
    assert warnings(response) == []
    answer = admin_client.post(reverse(PREVIEW), data).json()
    assert answer["checked"] == ("Saving checks the newest order whose status fires this event.")
    assert f"Preview with order {done.code}" in answer["html"]
    assert answer["params"]["customer_name"]["value"] == "GHN123456"


def test_without_orders_at_the_event_an_empty_value_of_the_newest_warns(admin_client):
    """Review 16b #9: a new shop whose orders are all just placed cannot choose a shipped
    order, so a value only shipped orders have is not refused for the newest."""
    binding = BindingFactory(event="order_shipped")
    OrderFactory()
    OrderFactory()
    data = editor_data(binding, customer_name=TRACKING)
    response = admin_client.post(change_url(binding), data)
    assert response.status_code == 302, field_errors(response, "customer_name")
    assert warnings(response) == [
        "With each of the 2 newest orders: Parameter customer_name is required but rendered "
        f"empty. {NOT_YET}"
    ]
    answer = admin_client.post(reverse(PREVIEW), data).json()
    assert answer["params"]["customer_name"]["refused"] == ""
    assert answer["params"]["customer_name"]["warning"].endswith(NOT_YET)


def test_orders_at_the_event_that_all_render_empty_are_refused(admin_client):
    """Shipped orders exist: they are what the message is sent for, so empty on all of
    them is refused."""
    binding = BindingFactory(event="order_shipped")
    OrderFactory(status=Order.Status.SHIPPED, carrier="GHN", tracking_code="")
    OrderFactory(tracking_code="GHN1")  # a newer order, not shipped: not checked
    response = admin_client.post(change_url(binding), editor_data(binding, customer_name=TRACKING))
    assert response.status_code == 200
    assert field_errors(response, "customer_name").endswith(
        "Parameter customer_name is required but rendered empty. " + HINT
    )


def test_without_orders_at_the_event_other_problems_of_all_are_refused(admin_client, picky):
    """Only an empty value waits for an order at the event: the host's code failing for
    every order checked is still refused, with the hint."""
    binding = BindingFactory(event="order_shipped")
    OrderFactory(total=3_000_000)
    OrderFactory(total=2_500_000)
    response = admin_client.post(
        change_url(binding), editor_data(binding, customer_name="{{ note }}")
    )
    assert response.status_code == 200
    error = field_errors(response, "customer_name")
    assert error.startswith("With each of the 2 newest orders: ") and error.endswith(HINT)


def test_a_status_that_is_no_field_keeps_refusing_with_the_hint(admin_client, settings):
    """ORDER_STATUS_FIELD a property: the orders cannot be filtered by status, so nothing
    says none has reached the event; an empty value of all is refused, as before."""
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "ORDER_STATUS_FIELD": "payment_method_label",
        "ORDER_STATUS_EVENTS": {"Cash on delivery": "order_shipped"},
    }
    binding = BindingFactory(event="order_shipped")
    OrderFactory()
    response = admin_client.post(change_url(binding), editor_data(binding, customer_name=TRACKING))
    assert response.status_code == 200
    assert field_errors(response, "customer_name").endswith(HINT)


def test_the_chosen_order_overrides_the_newest(admin_client):
    binding = BindingFactory(event="order_shipped")
    OrderFactory()
    done = OrderFactory(tracking_code="GHN77")  # still "new": not found by its status
    response = admin_client.post(
        change_url(binding),
        {**editor_data(binding, customer_name=TRACKING), PREVIEW_ORDER: done.code},
    )
    assert response.status_code == 302, field_errors(response, "customer_name")


def test_without_a_status_map_the_newest_orders_are_checked(admin_client, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_STATUS_EVENTS": {}}
    binding = BindingFactory(event="order_shipped")
    shipped()
    OrderFactory()
    answer = admin_client.post(
        reverse(PREVIEW), editor_data(binding, customer_name=TRACKING)
    ).json()
    assert answer["checked"] == "Saving checks the 2 newest orders."
    assert answer["params"]["customer_name"]["warning"].startswith("For order ")


# -- the condition -------------------------------------------------------------------------


def test_orders_the_condition_does_not_hold_for_are_left_out(admin_client):
    """A COD-only param under a COD condition: the bank transfers have no COD amount, and
    their messages are never sent anyway."""
    binding = BindingFactory(condition='order.payment_method == "cod"')
    cod = OrderFactory(payment_method="cod", carrier="GHTK")
    OrderFactory(payment_method="bank_transfer")
    OrderFactory(payment_method="bank_transfer")
    data = editor_data(binding, customer_name="{{ order.carrier }}")
    response = admin_client.post(change_url(binding), data)
    assert response.status_code == 302, field_errors(response, "customer_name")
    assert warnings(response) == []
    answer = admin_client.post(reverse(PREVIEW), data).json()
    assert answer["checked"] == (
        "Saving checks the newest order whose status fires this event and meets the condition."
    )
    assert f"Preview with order {cod.code}" in answer["html"]


def test_when_the_condition_holds_for_none_the_sample_is_checked(admin_client):
    binding = BindingFactory(condition='order.payment_method == "card"')
    OrderFactory(payment_method="cod")
    answer = admin_client.post(reverse(PREVIEW), editor_data(binding)).json()
    assert answer["checked"] == (
        "None of the newest orders meets the condition: saving checks sample data."
    )
    assert "Preview with sample data" in answer["html"]


def test_an_order_the_condition_fails_on_is_kept(admin_client, settings):
    """A condition that cannot be evaluated for an order says nothing about it: checked."""
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "ORDER_VARIABLES": {"note": "tests.order_accessors.picky_note"},
    }
    binding = BindingFactory(condition="note")
    OrderFactory(total=3_000_000)
    answer = admin_client.post(reverse(PREVIEW), editor_data(binding)).json()
    assert answer["checked"] == (
        "Saving checks the newest order whose status fires this event and meets the condition."
    )


def test_the_condition_note_blames_only_what_the_condition_reads(admin_client, picky):
    """Review 16b #8: a param whose ORDER_VARIABLES read fails says so itself; the
    condition, which does not read that variable, still holds for the order."""
    binding = BindingFactory()
    order = OrderFactory(total=3_000_000)
    answer = admin_client.post(
        reverse(PREVIEW),
        {
            **editor_data(binding, customer_name="{{ note }}"),
            "condition": 'order.status == "new"',
            PREVIEW_ORDER: order.code,
        },
    ).json()
    assert "no gift note for" in answer["params"]["customer_name"]["problem"]
    assert answer["condition"] == ("The condition holds for this order: the message would be sent.")


def test_the_condition_note_names_its_own_failed_variable(admin_client, picky):
    binding = BindingFactory()
    order = OrderFactory(total=3_000_000)
    answer = admin_client.post(
        reverse(PREVIEW),
        {**editor_data(binding), "condition": 'note == "x"', PREVIEW_ORDER: order.code},
    ).json()
    assert answer["condition"].startswith("The condition fails on this order: ")
    assert "ORDER_VARIABLES" in answer["condition"]


# -- the typed order (#8) -----------------------------------------------------------------


def test_saving_with_an_order_that_does_not_exist_is_refused(admin_client):
    binding = BindingFactory()
    OrderFactory()
    response = admin_client.post(
        change_url(binding), {**editor_data(binding), PREVIEW_ORDER: "DH999999"}
    )
    assert response.status_code == 200
    assert form_errors(response) == [
        "No order DH999999: type an order's reference or id, or leave it empty for the "
        "newest orders."
    ]


# -- data-dependent kinds (#13) ------------------------------------------------------------


@pytest.fixture
def picky(settings):
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "ORDER_VARIABLES": {"note": "tests.order_accessors.picky_note"},
    }


def test_the_hosts_code_failing_for_some_orders_warns(admin_client, picky):
    binding = BindingFactory()
    OrderFactory(total=100_000)
    big = OrderFactory(total=3_000_000, phone="0987 654 321")
    response = admin_client.post(
        change_url(binding), editor_data(binding, customer_name="{{ note }}")
    )
    assert response.status_code == 302, field_errors(response, "customer_name")
    [warning] = warnings(response)
    assert warning.startswith(f"For order {big.code}: ")
    assert "no gift note for 0987 654 321" in warning  # the admin may see full numbers
    assert "It renders for 1 of the 2" in warning


def test_warnings_and_refusals_mask_phones_for_who_may_not_see_them(client, picky):
    staff_user("view_binding", "change_binding", client=client)
    binding = BindingFactory()
    OrderFactory(total=100_000)
    big = OrderFactory(total=3_000_000, phone="0987 654 321")
    data = editor_data(binding, customer_name="{{ note }}")
    response = client.post(change_url(binding), data)
    assert response.status_code == 302, field_errors(response, "customer_name")
    [warning] = warnings(response)
    assert "0987 654 321" not in warning and "654" not in warning
    answer = client.post(reverse(PREVIEW), data).json()
    assert "654" not in answer["params"]["customer_name"]["warning"]

    refused = client.post(change_url(binding), {**data, PREVIEW_ORDER: big.code})
    assert refused.status_code == 200
    error = field_errors(refused, "customer_name")
    assert error.startswith(f"With order {big.code}: ") and "no gift note for" in error
    assert "654" not in error


def test_the_render_limit_for_one_order_is_refused(admin_client, settings):
    """Past the engine's limits is the expression's own problem: refused even when only
    one of the orders checked reaches it."""
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "ORDER_VARIABLES": {"note": "tests.order_accessors.huge_note"},
    }
    binding = BindingFactory()
    OrderFactory(total=100_000)
    big = OrderFactory(total=3_000_000)
    OrderFactory(total=100_000)
    response = admin_client.post(
        change_url(binding), editor_data(binding, customer_name="{{ note }}")
    )
    assert response.status_code == 200
    error = field_errors(response, "customer_name")
    assert error.startswith(f"With order {big.code}: ")
    assert "4000" in error or "limit" in error
    assert Binding.objects.get(pk=binding.pk).params["customer_name"] == "{{ customer_name }}"


# -- send test without an order (#13) -----------------------------------------------------


def test_send_test_without_an_order_sends_the_newest_relevant_orders_data(admin_client):
    """No order chosen: the test carries the data of the order the preview draws, the
    newest whose status fires the event, not the sample's."""
    ZaloAccountFactory()
    binding = BindingFactory(event="order_shipped")
    done = shipped(customer_name="Lê Thị Hoa")
    OrderFactory(customer_name="Phạm Văn Nam")
    answer = admin_client.post(
        reverse(SEND), {**editor_data(binding), "test_phone": "0987 654 321"}
    ).json()
    assert answer["ok"] is True, answer
    message = Message.objects.get(development_mode=True)
    assert message.params["customer_name"] == "Lê Thị Hoa"
    assert message.params["order_code"] == done.code
    assert message.phone == "84987654321"  # the typed phone, never the customer's
