"""Oscar's order signals -> zns_notify events, end to end: orders placed through Oscar's
own OrderCreator and moved with ``order.set_status``, sent to the sandbox, delivered by
its signed webhooks, exactly once."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connections, router, transaction
from oscar.core.loading import get_model

from tests.contrib.oscar.fixtures import address, deliver, place_order
from zns_notify.contrib.oscar import receivers
from zns_notify.models import Message

Order = get_model("order", "Order")
OrderStatusChange = get_model("order", "OrderStatusChange")
UserAddress = get_model("address", "UserAddress")

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_placed_order_is_announced_once_with_its_lines_and_discount(
    bindings, connected, catalogue, voucher
):
    order = place_order(catalogue, voucher=voucher)
    messages = deliver(connected, ["order_created"])
    params = messages["order_created"].params
    # 2 shirts + 1 hat - 20,000 + 30,000 shipping: Oscar's lines and voucher discount exist
    # when order_placed is sent (the first save of the order had neither).
    assert params["order_date"] == "2 dòng"
    assert params["total_amount"] == "390.000 (-20.000)"
    assert params["order_code"] == str(order.number)
    assert params["customer_name"] == "Lê Hoàng Nam"
    assert messages["order_created"].phone == "84912345678"
    assert order.voucherapplication_set.count() == 1


def test_each_mapped_status_is_one_message(bindings, connected, catalogue):
    order = place_order(catalogue)
    order.set_status("Paid")
    order.set_status("Shipped")
    order.set_status("Delivered")
    messages = deliver(
        connected, ["order_created", "order_paid", "order_shipped", "order_delivered"]
    )
    assert {m.order_ref for m in messages.values()} == {str(order.number)}


def test_an_unmapped_status_sends_nothing(bindings, connected, catalogue, settings):
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "ORDER_STATUS_EVENTS": {"Shipped": "order_shipped"},
    }
    order = place_order(catalogue)
    order.set_status("Paid")
    assert list(Message.objects.values_list("event", flat=True)) == ["order_created"]


def test_a_first_status_that_is_mapped_fires_its_event_too(bindings, connected, catalogue):
    place_order(catalogue, status="Paid")  # a shop whose checkout takes the payment
    deliver(connected, ["order_created", "order_paid"])


def test_a_failing_statement_writing_the_messages_leaves_the_shop_s_transaction_usable(
    catalogue, monkeypatch, caplog
):
    def failing_sql(*args, **kwargs):
        # A real failed statement: on PostgreSQL it aborts the transaction it runs in.
        with connections[router.db_for_write(Message)].cursor() as cursor:
            cursor.execute("INSERT INTO zns_no_such_table (id) VALUES (1)")

    monkeypatch.setattr("zns_notify.events.notify.write_messages", failing_sql)
    with transaction.atomic():  # a shop whose own code wraps the checkout
        order = place_order(catalogue)
        order.set_status("Paid")
        # Queries after the failed statement still run in the shop's transaction.
        assert Order.objects.get(pk=order.pk).status == "Paid"
    order = Order.objects.get(pk=order.pk)
    assert order.status == "Paid"
    assert list(OrderStatusChange.objects.filter(order=order).values_list("new_status")) == [
        ("Paid",)
    ]
    assert "the order_created messages of Oscar order" in caplog.text
    assert "the order_paid messages of Oscar order" in caplog.text
    assert not Message.objects.exists()


def test_a_broken_setting_fails_neither_the_checkout_nor_the_status_history(
    catalogue, settings, caplog
):
    # dict("Paid") raises: the receivers read ORDER_STATUS_EVENTS on every signal.
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_STATUS_EVENTS": "Paid"}
    order = place_order(catalogue)
    order.set_status("Paid")
    order = Order.objects.get(pk=order.pk)
    assert order.status == "Paid"
    # Oscar writes the status history after sending order_status_changed.
    assert OrderStatusChange.objects.filter(order=order, new_status="Paid").exists()
    assert "zns_notify could not handle Oscar's order_placed" in caplog.text
    assert "zns_notify could not handle Oscar's order_status_changed" in caplog.text


class OrdersElsewhere:
    """A router that writes Oscar's orders on another database than zns_notify's rows."""

    def db_for_write(self, model, **hints):
        return "orders" if model._meta.app_label == "order" else None


def test_the_savepoint_is_on_the_database_the_messages_are_written_to(
    bindings, connected, catalogue, settings
):
    order = place_order(catalogue)
    settings.DATABASE_ROUTERS = [f"{__name__}.OrdersElsewhere"]
    receivers.status_changed(sender=order, order=order, new_status="Paid")
    assert sorted(Message.objects.values_list("event", flat=True)) == [
        "order_created",
        "order_paid",
    ]


# The adapter's statements per event with the page's outbox broker, BEGIN and COMMIT of
# its savepoint included: the bindings, what the binding reads (order_created counts and
# reads the lines; paid the payment sources; shipped the shipping events), one INSERT of
# the rows and no queue row (another broker adds one). The customer's address book, for an
# order shipped without a phone, costs up to two more (the user, the address).
BUDGET = {"order_created": 6, "order_paid": 5, "order_shipped": 5}
ADDRESS_BOOK = 2


@pytest.mark.parametrize("signed_in", [False, True], ids=["guest", "address-book"])
def test_each_event_costs_a_fixed_number_of_statements(
    bindings, connected, catalogue, django_assert_max_num_queries, signed_in
):
    user = None
    if signed_in:
        user = get_user_model().objects.create_user("lan", "lan@example.vn", "x")
        address(UserAddress, catalogue, user=user, phone_number="0912 345 678")
    extra = ADDRESS_BOOK if signed_in else 0
    receivers.disconnect()  # the events of this order are sent by the calls below
    try:
        # Shipped without a phone when signed in: the phone is the address book's.
        order = place_order(catalogue, user=user, phone="" if signed_in else "0912 345 678")
    finally:
        receivers.connect()
    with django_assert_max_num_queries(BUDGET["order_created"] + extra):
        receivers.placed(sender=None, order=order)
    order.status = "Paid"
    with django_assert_max_num_queries(BUDGET["order_paid"] + extra):
        receivers.status_changed(sender=order, order=order, new_status="Paid")
    order.status = "Shipped"
    with django_assert_max_num_queries(BUDGET["order_shipped"] + extra):
        receivers.status_changed(sender=order, order=order, new_status="Shipped")
    sent = Message.objects.filter(order_ref=order.number).values_list("event", "phone", "status")
    queued = ("84912345678", Message.Status.QUEUED)
    assert {event: rest for event, *rest in sent} == {
        "order_created": [*queued],
        "order_paid": [*queued],
        "order_shipped": [*queued],
    }
