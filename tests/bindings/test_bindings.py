"""Binding validation (admin form and model.clean)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.factories import BindingFactory, TemplateFactory
from zns_notify.models import Template

pytestmark = pytest.mark.django_db


def errors_of(binding) -> dict:
    with pytest.raises(ValidationError) as err:
        binding.full_clean()
    return err.value.message_dict


def test_valid_binding_passes():
    BindingFactory.build(template=TemplateFactory()).full_clean()


def test_pending_template_cannot_be_bound_as_active():
    binding = BindingFactory.build(template=TemplateFactory(status=Template.Status.PENDING_REVIEW))
    assert "is_active" in errors_of(binding)
    binding.is_active = False
    binding.full_clean()


def test_unknown_event_is_refused():
    binding = BindingFactory.build(template=TemplateFactory(), event="order_teleported")
    assert "order_teleported" in errors_of(binding)["event"][0]


def test_param_problems_are_listed():
    binding = BindingFactory.build(
        template=TemplateFactory(),
        params={"customer_name": "{% if %}", "nonsense": "x", "total_amount": "{{ order.total }}"},
    )
    problems = " ".join(errors_of(binding)["params"])
    assert "customer_name" in problems
    assert "nonsense is not a parameter" in problems
    assert "order_code is required" in problems


def test_params_must_be_an_object():
    binding = BindingFactory.build(template=TemplateFactory(), params=["x"])
    assert "params" in errors_of(binding)
