"""GET /zns/api/templates/ and /zns/api/bindings/: read-only lists and details."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import BindingFactory, TemplateFactory
from zns_notify.models import Template

pytestmark = pytest.mark.django_db

TEMPLATES = reverse("zns_notify:api_template_list")
BINDINGS = reverse("zns_notify:api_binding_list")


def test_templates_list_and_detail_by_zalo_id(as_user, reader):
    TemplateFactory(template_id="100002", name="Thanh toán thành công")
    TemplateFactory(template_id="100001")
    client = as_user(reader)
    body = client.get(TEMPLATES).json()
    assert [t["template_id"] for t in body["results"]] == ["100001", "100002"]
    detail = client.get(reverse("zns_notify:api_template_detail", args=["100002"])).json()
    assert detail["name"] == "Thanh toán thành công" and detail["status"] == "ENABLE"
    assert detail["params"][0]["name"] == "customer_name"


def test_templates_filter_by_status(as_user, reader):
    TemplateFactory(template_id="1", status=Template.Status.ENABLE)
    TemplateFactory(template_id="2", status=Template.Status.PENDING_REVIEW)
    TemplateFactory(template_id="3", status=Template.Status.REJECT)
    client = as_user(reader)
    found = client.get(TEMPLATES, {"status": "PENDING_REVIEW,REJECT"}).json()["results"]
    assert [t["template_id"] for t in found] == ["2", "3"]
    assert client.get(TEMPLATES, {"status": "GONE"}).status_code == 400


def test_unknown_template_is_404(as_user, reader):
    assert (
        as_user(reader).get(reverse("zns_notify:api_template_detail", args=["nope"])).status_code
        == 404
    )


def test_templates_need_their_view_permission(as_user, make_user):
    assert as_user(make_user("view_message")).get(TEMPLATES).status_code == 403


def test_bindings_list_detail_and_problems(as_user, reader):
    fine = BindingFactory(event="order_created", template__template_id="100001")
    unfit = BindingFactory(
        event="order_paid",
        template__template_id="100009",
        params={"customer_name": "{{ customer_name }}"},
    )
    client = as_user(reader)
    body = client.get(BINDINGS).json()["results"]
    assert [(b["id"], b["template"]) for b in body] == [(fine.pk, "100001"), (unfit.pk, "100009")]
    assert body[0]["problems"] == []
    detail = client.get(reverse("zns_notify:api_binding_detail", args=[unfit.pk])).json()
    assert any("order_code" in problem for problem in detail["problems"])


def test_bindings_filter_by_event_and_activity(as_user, reader):
    paid = BindingFactory(event="order_paid")
    idle = BindingFactory(event="order_paid", is_active=False)
    BindingFactory(event="order_created")
    client = as_user(reader)

    def found(**query):
        response = client.get(BINDINGS, query)
        assert response.status_code == 200, response.content
        return {b["id"] for b in response.json()["results"]}

    assert found(event="order_paid") == {paid.pk, idle.pk}
    assert found(event="order_paid", is_active="false") == {idle.pk}
    assert found(event="order_paid", is_active="true") == {paid.pk}
    assert client.get(BINDINGS, {"is_active": "perhaps"}).status_code == 400


@pytest.mark.parametrize("url", [TEMPLATES, BINDINGS, reverse("zns_notify:api_message_list")])
def test_the_api_is_read_only(as_user, make_user, url):
    superuser = make_user(superuser=True)
    client = as_user(superuser)
    assert client.post(url, {}, format="json").status_code == 405
    assert client.delete(url).status_code == 405


def test_bindings_show_their_delay_and_condition(as_user, reader):
    binding = BindingFactory(
        event="order_created", delay_minutes=120, condition='order.status == "new"'
    )
    detail = as_user(reader).get(reverse("zns_notify:api_binding_detail", args=[binding.pk])).json()
    assert (detail["delay_minutes"], detail["condition"]) == (120, 'order.status == "new"')
