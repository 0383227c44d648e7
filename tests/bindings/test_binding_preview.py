"""What the binding editor renders against (zns_notify.bindings.preview) and how each param
is checked on its own (binding_validation.render_each)."""

from __future__ import annotations

import re

import pytest

from tests.factories import ORDER_CREATED_PARAMS, OrderFactory
from zns_notify.bindings import preview as binding_preview
from zns_notify.bindings.dev_send import send_test_key
from zns_notify.bindings.validation import render_each
from zns_notify.events.outbox import idempotency_key

SPECS = {p["name"]: p for p in ORDER_CREATED_PARAMS}


def test_render_each_reports_every_param_not_only_the_first():
    results = render_each(
        {
            "customer_name": "{{ customer_name }} " + "x" * 30,
            "order_code": "{{ order_code|nope }}",
            "ghost": "{{ phone }}",
        },
        SPECS,
        {"customer_name": "Lan", "order_code": "DH1"},
    )
    assert results["customer_name"].value.startswith("Lan x")  # shown, with why it is refused
    assert results["customer_name"].problem == (
        "Parameter customer_name is 34 characters; Zalo allows at most 30."
    )
    assert "the expression is invalid" in results["order_code"].problem
    assert results["ghost"].problem == "Parameter ghost does not exist in the template."
    assert results["total_amount"].problem == (
        "Parameter total_amount is required by the template but not bound."
    )


@pytest.mark.django_db
def test_find_order_by_reference_or_primary_key():
    order = OrderFactory()
    assert binding_preview.find_order(order.code) == order
    assert binding_preview.find_order(f" {order.pk} ") == order
    assert binding_preview.find_order("DH999999") is None
    assert binding_preview.find_order("not a pk") is None
    assert binding_preview.find_order("") is None


@pytest.mark.django_db
def test_find_order_when_the_reference_is_a_number_field(settings, admin_client):
    """A shop whose order reference is a number (ORDER_CODE naming an integer field): text
    typed in "Render with order" is no order, not a server error."""
    from django.urls import reverse

    from tests.factories import BindingFactory

    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_CODE": "total"}
    order = OrderFactory(total=777_001)
    assert binding_preview.find_order("777001") == order
    assert binding_preview.find_order(str(order.pk)) == order
    assert binding_preview.find_order("DH000001") is None
    binding = BindingFactory()
    response = admin_client.post(
        reverse("admin:zns_notify_binding_preview"),
        {
            "event": "order_created",
            "template": binding.template.pk,
            "binding": binding.pk,
            "zns_preview_order": "DH000001",
        },
    )
    assert response.status_code == 400 and "No order DH000001" in response.json()["error"]


def test_sample_order_has_plausible_values():
    order = binding_preview.sample_order()
    assert order.pk == 0  # never saved: no row has it
    assert (order.customer_name, order.phone, order.code) == (
        "Nguyễn Thị Lan",
        "0912 345 678",
        "DH000123",
    )
    assert order.total == 1_250_000 and order.status == "new"  # the first choice
    assert order.carrier == "Carrier" and order.eta is not None


def test_the_context_reads_the_order_without_calling_its_methods():
    order = binding_preview.sample_order()
    context = binding_preview.context_for(order, "order_paid")
    assert context["phone"] == "84912345678" and context["order_code"] == "DH000123"
    assert context["event"] == "order_paid"
    with pytest.raises(AttributeError):
        context["order"].cancel  # noqa: B018 a method that changes the order
    assert context["order"].get_status_display() == "New"


def test_a_test_sends_key_looks_like_every_key_and_is_never_repeated():
    keys = {send_test_key() for _ in range(100)}
    real = idempotency_key(1, "shop.order", "1", "order_created")
    assert len(keys) == 100 and real not in keys
    assert all(re.fullmatch(r"zns[0-9a-f]{40}", key) for key in keys | {real})


@pytest.mark.django_db
def test_the_sample_orders_related_sets_read_as_empty():
    order = binding_preview.sample_order()
    context = binding_preview.context_for(order, "order_created")
    results = render_each(
        {"customer_name": "{{ order.items.count }} món"},
        {"customer_name": SPECS["customer_name"]},
        context,
    )
    assert results["customer_name"].value == "0 món"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "accessors",
    [
        # Callables and callable paths read through a relation the sample leaves empty.
        {
            "ORDER_PHONE": "tests.order_accessors.order_phone",
            "ORDER_CUSTOMER_NAME": lambda order: order.customer.full_name,
            "ORDER_CODE": lambda order: order.customer.full_name,
        },
        # Attribute paths through that relation.
        {
            "ORDER_PHONE": "customer.phone",
            "ORDER_CUSTOMER_NAME": "customer.full_name",
            "ORDER_CODE": "customer.full_name",
        },
    ],
)
def test_the_sample_data_has_the_sample_name_code_and_phone_however_they_are_read(
    settings, accessors
):
    """The sample order fills only the order's own fields: read through a callable or a
    relation, the name, code and phone came out empty or as a field's label ("Phone"), and
    a binding using {{ customer_name }} was refused "with sample data"."""
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, **accessors}
    context = binding_preview.context_for(binding_preview.sample_order(), "order_created")
    assert context["customer_name"] == binding_preview.SAMPLE_NAME
    assert context["order_code"] == binding_preview.SAMPLE_CODE
    assert context["phone"] == "84912345678"
