"""Where the sample cannot stand in for a real order (zns_notify.bindings.sample_gaps):
the relations it leaves empty, so an empty value through them is no verdict."""

from __future__ import annotations

import pytest

from zns_notify.bindings.sample_gaps import sample_gap


@pytest.mark.parametrize(
    ("expression", "gap"),
    [
        ("{{ order.items.first.product_name }}", "items"),  # a reverse foreign key
        ("{% for i in order.items.all %}{{ i }}{% endfor %}", "items"),
        ("{{ order.customer.orders.count }}", "orders"),  # reverse, one step further
        ("{{ order.customer.full_name }}", ""),  # forward: the sample fills it
        ("{{ order.custmer_name }}", ""),  # a typo: as empty for every order
        ("{{ order.payment_method_label }}", ""),  # a property
        ("{{ customer_name }}", ""),
    ],
)
def test_the_relations_the_sample_leaves_empty(expression, gap):
    assert sample_gap(expression) == gap


def test_a_relation_past_the_samples_depth(settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_MODEL": "zns_notify.FallbackStep"}
    assert sample_gap("{{ order.message.binding.name }}") == ""
    assert sample_gap("{{ order.message.binding.template.name }}") == "template"


def test_without_an_order_model_nothing_is_known(settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_MODEL": None}
    assert sample_gap("{{ order.items.first }}") == ""


def test_the_newest_orders_sort_by_a_creation_timestamp_before_the_key():
    """A UUID primary key does not count up: a model's get_latest_by or its auto_now_add
    timestamp says which orders are the newest; the key only breaks ties."""
    from demo_shop.shop.models import Customer, Order  # noqa: PLC0415 the test's models
    from zns_notify.bindings.preview import newest_first  # noqa: PLC0415 beside them

    assert newest_first(Customer) == ["-created_at", "-pk"]
    assert newest_first(Order) == ["-pk"]  # created_at has a default, not auto_now_add
