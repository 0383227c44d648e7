"""Bindings are saved only with what the binding engine allows (docs/templates.md), and a
binding stored before the list existed is listed: in the admin, by the API and by the
system check zns_notify.W003."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.factories import BindingFactory, TemplateFactory
from zns_notify.bindings.validation import fitness_problems
from zns_notify.checks import check_bindings
from zns_notify.models import Binding

pytestmark = pytest.mark.django_db


def errors_of(binding) -> dict:
    with pytest.raises(ValidationError) as err:
        binding.full_clean()
    return err.value.message_dict


def test_a_param_with_a_refused_tag_is_not_saved():
    binding = BindingFactory.build(
        template=TemplateFactory(),
        params={
            "customer_name": "{% lorem 10000000 w %}",
            "order_code": "{{ order_code|ljust:'100000000' }}",
            "total_amount": "{{ order.total|vnd }}",
        },
    )
    problems = " ".join(errors_of(binding)["params"])
    assert 'customer_name: The tag "lorem" is not allowed in a binding' in problems
    assert 'order_code: The filter "ljust" is not allowed in a binding' in problems


def test_a_condition_with_a_refused_filter_is_not_saved():
    binding = BindingFactory.build(
        template=TemplateFactory(), condition='order.status|center:"100000000" == "new"'
    )
    assert '"center" is not allowed' in errors_of(binding)["condition"][0]


def test_an_sms_text_with_a_refused_tag_is_not_saved():
    binding = BindingFactory.build(template=TemplateFactory(), sms_text="{% debug %}")
    assert '"debug" is not allowed' in " ".join(errors_of(binding)["sms_text"])


def stored_before(**fields) -> Binding:
    """A binding saved before the list existed: written without its checks."""
    binding = BindingFactory(name="old")
    Binding.objects.filter(pk=binding.pk).update(**fields)
    binding.refresh_from_db()
    return binding


def test_a_stored_binding_outside_the_list_is_listed_with_the_reason():
    binding = stored_before(
        params={**BindingFactory.build().params, "customer_name": "{% debug %}"},
        condition='order.status|ljust:"9" == "new"',
        sms_enabled=True,
        sms_text="{% lorem 10000000 w %}",
    )
    problems = fitness_problems(binding)
    assert any(
        p.startswith('Parameter customer_name: The tag "debug" is not allowed') for p in problems
    ), problems
    assert any(p.startswith('The condition: The filter "ljust"') for p in problems), problems
    assert any(p.startswith('The SMS text: The tag "lorem"') for p in problems), problems
    warnings = check_bindings(databases=["default"])
    assert {w.id for w in warnings} == {"zns_notify.W003"}
    assert any('"debug" is not allowed' in w.msg and w.obj == binding for w in warnings)


def test_the_sms_text_of_a_binding_without_the_fallback_is_not_listed():
    binding = stored_before(sms_enabled=False, sms_text="{% lorem %}")
    assert fitness_problems(binding) == []
