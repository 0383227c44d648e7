"""Oscar's order signals -> zns_notify events, end to end: orders placed through Oscar's
own OrderCreator and moved with ``order.set_status``, sent to the sandbox, delivered by
its signed webhooks, exactly once."""

from __future__ import annotations

import pytest
from django.db import DatabaseError

from tests.contrib.oscar.fixtures import deliver, place_order
from zns_notify.models import Message

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


def test_a_database_error_writing_the_messages_does_not_fail_the_checkout(
    catalogue, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr("zns_notify.events.notify.write_messages", broken)
    order = place_order(catalogue)
    order.set_status("Paid")
    assert order.status == "Paid"
    assert "the order_created messages of Oscar order" in caplog.text
    assert "the order_paid messages of Oscar order" in caplog.text
