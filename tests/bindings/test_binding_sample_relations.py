"""The editor's sample order carries its related objects (zns_notify.bindings.preview): a
path through a forward foreign key or one-to-one renders, as it does for a real order."""

from __future__ import annotations

import pytest

from tests.factories import ORDER_CREATED_PARAMS
from zns_notify.bindings import preview as binding_preview
from zns_notify.bindings.validation import render_each

SPECS = {p["name"]: p for p in ORDER_CREATED_PARAMS}


def rendered(expression: str, name: str = "customer_name"):
    context = binding_preview.context_for(binding_preview.sample_order(), "order_created")
    return render_each({name: expression}, {name: SPECS[name]}, context)[name]


@pytest.mark.django_db
def test_a_path_through_a_foreign_key_renders_with_sample_data():
    """The issue's defect: the sample left its relations empty, so
    {{ order.customer.full_name }} rendered empty and a required param was refused."""
    result = rendered("{{ order.customer.full_name|zns_truncate:30 }}")
    assert result.problem == "" and result.value == "Full name"
    assert rendered("{{ order.customer.phone }}").value == "Phone"


@pytest.mark.django_db
def test_the_related_samples_reverse_relations_read_as_empty():
    order = binding_preview.sample_order()
    assert order.customer.pk == 0 and order.customer_id == 0
    assert rendered("{{ order.customer.orders.count }} đơn").value == "0 đơn"


def test_a_setting_read_through_a_relation_gets_the_sample_value(settings):
    """ORDER_CUSTOMER_NAME / ORDER_PHONE naming a path through a relation: the related
    sample holds the sample name and phone, so {{ order.customer.full_name }} and
    {{ customer_name }} agree."""
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "ORDER_CUSTOMER_NAME": ["customer.full_name", "customer_name"],
        "ORDER_PHONE": "customer.phone",
    }
    order = binding_preview.sample_order()
    assert order.customer.full_name == binding_preview.SAMPLE_NAME
    assert order.customer.phone == binding_preview.SAMPLE_PHONE
    assert order.customer_name == "Customer name"  # the fallback's own field: a label


def test_relations_are_filled_to_a_bounded_depth(settings):
    """A chain of relations stops after two steps: the third object is not built."""
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_MODEL": "zns_notify.FallbackStep"}
    order = binding_preview.sample_order()
    assert order.message.binding.name == "Name"  # two steps away
    assert order.message.binding.template_id is None  # a third step: left empty
    assert order.message.template.name == "Name"


def test_a_relation_back_to_a_model_on_the_path_is_left_empty(settings):
    """Message.resent_from points at Message itself: filling it would never end."""
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_MODEL": "zns_notify.Message"}
    order = binding_preview.sample_order()
    assert order.resent_from is None
    assert order.binding.name == "Name" and order.template.name == "Name"
