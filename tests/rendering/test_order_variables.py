"""ORDER_VARIABLES: values an adapter or a shop reads from the order (carrier, tracking
code…) offered to every binding as variables (issue 16)."""

from __future__ import annotations

import pytest
from django.template import Context

from demo_shop.shop.models import Order
from tests.factories import BindingFactory, OrderFactory
from zns_notify.bindings.preview import context_for, sample_order
from zns_notify.checks import check_settings
from zns_notify.events.notify import notify
from zns_notify.models import Message
from zns_notify.rendering.conditions import holds, send_time_context
from zns_notify.rendering.params import compile_expression

pytestmark = pytest.mark.django_db

READS: list[int] = []


def payment_label(order):
    READS.append(order.pk)
    return order.get_payment_method_display()


def variables(settings, **values):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_VARIABLES": values}


def binding_reading(expression: str, event: str = "order_paid"):
    return BindingFactory(
        event=event,
        params={
            "customer_name": "{{ customer_name }}",
            "order_code": expression,
            "total_amount": "{{ order.total }}",
        },
    )


def test_a_binding_reads_an_order_variable(settings):
    variables(settings, payment=payment_label, buyer=["customer.full_name", "customer_name"])
    binding_reading("{{ payment }} · {{ buyer }}")
    order = OrderFactory(payment_method=Order.PaymentMethod.BANK_TRANSFER)
    notify("order_paid", order)
    message = Message.objects.get()
    assert message.status == Message.Status.QUEUED, message.error_message
    assert message.params["order_code"] == "Bank transfer · Nguyễn Thị Lan"


def test_it_is_read_only_when_a_binding_uses_it_and_once_per_event(settings):
    variables(settings, payment=payment_label)
    READS.clear()
    BindingFactory(event="order_paid")  # reads no variable
    order = OrderFactory()
    notify("order_paid", order)
    assert READS == []
    binding_reading("{{ payment }}", event="order_shipped")
    binding_reading("{{ payment }}!", event="order_shipped")
    notify("order_shipped", order)
    assert READS == [order.pk]


def test_notify_keyword_arguments_win_over_it(settings):
    variables(settings, payment=payment_label)
    binding_reading("{{ payment }}")
    notify("order_paid", OrderFactory(), payment="MoMo")
    assert Message.objects.get().params["order_code"] == "MoMo"


def test_an_accessor_that_fails_fails_the_message_naming_it(settings):
    def broken(order):
        raise KeyError("no carrier table")

    variables(settings, carrier=broken)
    binding_reading("{{ carrier }}")
    notify("order_paid", OrderFactory())
    message = Message.objects.get()
    assert message.status == Message.Status.FAILED
    assert 'ORDER_VARIABLES"]["carrier"]' in message.error_message
    assert "no carrier table" in message.error_message


def test_a_condition_reads_it_at_send_time(settings):
    variables(settings, payment="payment_method")
    order = OrderFactory(payment_method=Order.PaymentMethod.COD)
    message = Message(event="order_paid", phone="84912345678")
    assert holds('payment == "cod"', send_time_context(message, order, now=None))
    assert not holds('payment == "card"', send_time_context(message, order, now=None))


def test_the_editor_renders_it_for_a_real_order_and_as_sample_text(settings):
    variables(settings, tracking_code="code", payment=payment_label)
    order = OrderFactory(payment_method=Order.PaymentMethod.CARD)
    real = compile_expression("{{ tracking_code }}/{{ payment }}").render(
        Context(context_for(order, "order_shipped"))
    )
    assert real == f"{order.code}/ATM / Visa card"
    sample = compile_expression("{{ tracking_code }}/{{ payment }}").render(
        Context(context_for(sample_order(), "order_shipped"))
    )
    assert sample == "Tracking code/Payment"


def e008() -> list[str]:
    return [p.msg for p in check_settings() if p.id == "zns_notify.E008"]


def test_the_check_accepts_good_variables(settings):
    variables(
        settings, carrier="customer.full_name", payment=payment_label, x=["customer.phone", "code"]
    )
    assert e008() == []


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"phone": "customer.phone"}, "a variable every binding already has"),
        ({"tracking-code": "code"}, "not a name a binding can write"),
        ({"carrier": "customer.mobile"}, "shop.Customer has no field or attribute 'mobile'"),
        ({"carrier": []}, "is an empty list"),
    ],
)
def test_the_check_refuses_what_cannot_work(settings, values, says):
    variables(settings, **values)
    [problem] = e008()
    assert 'ZNS_NOTIFY["ORDER_VARIABLES"]' in problem and says in problem


def test_the_check_refuses_a_value_that_is_no_dict(settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_VARIABLES": ["carrier"]}
    [problem] = e008()
    assert "is not a dict" in problem
