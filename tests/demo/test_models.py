"""Order codes and status steps of the demo shop."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import translation

from demo_shop.shop.models import InvalidTransition, Order

pytestmark = pytest.mark.django_db


def test_order_codes_count_up_from_dh000001(make_order):
    assert [make_order().code for _ in range(3)] == ["DH000001", "DH000002", "DH000003"]


def test_next_code_follows_the_highest_code_not_the_row_count(make_order):
    make_order()
    Order.objects.filter(code="DH000001").update(code="DH000041")
    assert make_order().code == "DH000042"


def test_mark_paid_saves_status_and_payment_time(make_order):
    order = make_order()
    paid_at = dt.datetime(2025, 3, 12, 9, 30, tzinfo=dt.UTC)
    order.mark_paid(paid_at=paid_at)
    order.refresh_from_db()
    assert (order.status, order.paid_at) == (Order.Status.PAID, paid_at)


def test_mark_paid_defaults_to_now(make_order):
    order = make_order()
    order.mark_paid()
    order.refresh_from_db()
    assert order.paid_at is not None


def test_mark_shipped_saves_carrier_tracking_code_and_eta(make_order):
    order = make_order(Order.Status.PAID)
    order.mark_shipped(
        carrier="Viettel Post", tracking_code="VTPDH000001", eta=dt.date(2025, 3, 15)
    )
    order.refresh_from_db()
    assert (order.status, order.carrier, order.tracking_code, order.eta) == (
        Order.Status.SHIPPED,
        "Viettel Post",
        "VTPDH000001",
        dt.date(2025, 3, 15),
    )


def test_mark_delivered_saves_delivery_time(make_order):
    order = make_order(Order.Status.SHIPPED)
    order.mark_delivered()
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert order.delivered_at is not None


@pytest.mark.parametrize("status", [Order.Status.NEW, Order.Status.PAID])
def test_cancel_before_shipping(make_order, status):
    order = make_order(status)
    order.cancel()
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED


@pytest.mark.parametrize(
    ("status", "step"),
    [
        (Order.Status.NEW, "mark_delivered"),
        (Order.Status.PAID, "mark_paid"),
        (Order.Status.SHIPPED, "cancel"),
        (Order.Status.DELIVERED, "mark_paid"),
        (Order.Status.CANCELLED, "mark_delivered"),
    ],
)
def test_a_step_from_the_wrong_status_is_refused_and_changes_nothing(make_order, status, step):
    order = make_order(status)
    before = Order.objects.values().get(pk=order.pk)
    with pytest.raises(InvalidTransition, match=order.code):
        getattr(order, step)()
    assert Order.objects.values().get(pk=order.pk) == before
    assert order.status == status  # the in-memory object is put back too


def test_a_stale_copy_cannot_repeat_a_step(make_order):
    order = make_order()
    stale_copy = Order.objects.get(pk=order.pk)
    order.mark_paid()
    with pytest.raises(InvalidTransition):
        stale_copy.mark_paid()


def test_payment_method_label_is_vietnamese_whatever_the_active_language(make_order):
    order = make_order(payment_method=Order.PaymentMethod.COD)
    with translation.override("en"):
        assert order.get_payment_method_display() == "Cash on delivery"
        assert order.payment_method_label == "Thanh toán khi nhận hàng"


def test_a_checkout_that_loses_the_race_for_a_code_takes_the_next_one(make_order, monkeypatch):
    make_order()  # DH000001
    codes = iter(["DH000001", "DH000002"])  # as if another checkout read the same maximum
    monkeypatch.setattr(Order, "next_code", classmethod(lambda cls: next(codes)))
    assert make_order().code == "DH000002"


def test_code_collisions_give_up_after_a_few_attempts(make_order, monkeypatch):
    make_order()
    monkeypatch.setattr(Order, "next_code", classmethod(lambda cls: "DH000001"))
    with pytest.raises(IntegrityError):
        make_order()
    assert Order.objects.count() == 1
