"""The binding editor in an Oscar shop: expressions through the order's relations and the
adapter's variables are accepted, as they render for real orders (issue 16)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.contrib.oscar.fixtures import place_order
from zns_notify.bindings.template_sync import sync_templates
from zns_notify.models import Binding, Template

pytestmark = pytest.mark.django_db(transaction=True)


def test_relation_paths_and_the_quickstart_s_truncation_are_accepted(
    connected, catalogue, admin_client
):
    sync_templates()
    place_order(catalogue)  # the shop has orders, as any shop editing bindings has
    template = Template.objects.get(template_id="100001")
    page = admin_client.get(reverse("admin:zns_notify_binding_add"), {"template": template.pk})
    for variable in ("carrier", "tracking_code", "payment_method"):
        assert f"<code>{variable}</code>" in page.content.decode()
    response = admin_client.post(
        reverse("admin:zns_notify_binding_add"),
        {
            "name": "Xác nhận đơn hàng",
            "event": "order_created",
            "template": template.pk,
            "is_active": "on",
            "delay_minutes": 0,
            "param__customer_name": "{{ customer_name|zns_truncate:30 }}",
            "param__order_code": "{{ order_code }}",
            "param__order_date": "{{ order.shipping_address.name }}",
            "param__total_amount": "{{ order.total_incl_tax|vnd }}",
        },
    )
    assert response.status_code == 302, errors(response)
    assert Binding.objects.get().params["order_date"] == "{{ order.shipping_address.name }}"


def errors(response) -> object:
    try:
        return response.context["adminform"].form.errors
    except (KeyError, TypeError):
        return response.status_code, response.content.decode()[:3000]
