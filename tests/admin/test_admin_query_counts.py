"""The binding and template pages run a bounded number of queries, whatever the number of
bindings, templates and orders (no query per row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import BindingFactory, OrderFactory, TemplateFactory

pytestmark = pytest.mark.django_db


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def rows(n: int) -> None:
    for _ in range(n):
        template = TemplateFactory()
        BindingFactory(template=template, is_active=True)
        OrderFactory()


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:zns_notify_binding_changelist"),
        reverse("admin:zns_notify_template_changelist"),
    ],
)
def test_changelists_do_not_query_per_row(admin_client, url, django_assert_max_num_queries):
    rows(2)
    few = queries(admin_client, url)
    rows(20)
    with django_assert_max_num_queries(few):
        admin_client.get(url)
    assert few <= 12


def test_a_binding_and_a_template_page_do_not_query_per_order(
    admin_client, django_assert_max_num_queries
):
    rows(1)
    binding = BindingFactory(is_active=True)
    binding_url = reverse("admin:zns_notify_binding_change", args=[binding.pk])
    template_url = reverse("admin:zns_notify_template_change", args=[binding.template.pk])
    add_url = reverse("admin:zns_notify_binding_add")
    few = {url: queries(admin_client, url) for url in (binding_url, template_url, add_url)}
    rows(20)
    for url, count in few.items():
        with django_assert_max_num_queries(count):
            admin_client.get(url)
        assert count <= 15, (url, count)
