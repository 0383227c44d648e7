"""The binding editor's "ZNS Journey" fieldset: the token type offered with what it means
for the operator (in English and Vietnamese), saved and copied with the binding, an unknown
type refused, and the warnings on saving: an event outside the delivery stage, a template
cheaper than a token; none for a delivery notice that a journey pays for."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from tests.admin.test_admin_bindings import change_url, editor_data
from tests.factories import BindingFactory, TemplateFactory
from zns_notify.admin.bindings import duplicate

pytestmark = pytest.mark.django_db


def saved(admin_client, binding, journey_type: str, **changes):
    data = {**editor_data(binding), **changes, "journey_type": journey_type}
    response = admin_client.post(change_url(binding), data)
    binding.refresh_from_db()
    return response, [str(m) for m in get_messages(response.wsgi_request)]


def test_the_fieldset_explains_the_choice(admin_client):
    page = admin_client.get(change_url(BindingFactory())).content.decode()
    assert '<select name="journey_type"' in page
    assert 'value="token_logistics_7"' in page and "Delivery journey, 30 days" in page
    assert "two or more delivery notices" in page
    assert "journey set for the token type" in page
    assert "goes as a normal send" in page


def test_the_fieldset_is_vietnamese(admin_client):
    page = admin_client.get(
        change_url(BindingFactory()), HTTP_ACCEPT_LANGUAGE="vi"
    ).content.decode()
    assert "Hành trình giao hàng, 7 ngày" in page
    assert "hai thông báo giao hàng trở lên" in page
    assert "gửi như tin thường" in page


def test_a_delivery_notice_under_a_journey_saves_without_warnings(admin_client):
    template = TemplateFactory(price=Decimal("300"))
    binding = BindingFactory(event="order_shipped", template=template)
    response, messages = saved(admin_client, binding, "token_logistics_7")
    assert response.status_code == 302
    assert binding.journey_type == "token_logistics_7"
    assert not [m for m in messages if "journey" in m]


def test_an_event_outside_the_delivery_stage_is_warned_about(admin_client):
    binding = BindingFactory(event="order_paid", template=TemplateFactory(price=Decimal("300")))
    response, messages = saved(admin_client, binding, "token_logistics_30")
    assert response.status_code == 302 and binding.journey_type == "token_logistics_30"
    assert any("order_paid is not a delivery-stage event" in m for m in messages)


def test_a_template_cheaper_than_a_token_is_warned_about(admin_client, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "JOURNEY_TOKEN_PRICE": 200}
    template = TemplateFactory(template_id="100009", price=Decimal("150"))
    binding = BindingFactory(event="order_delivered", template=template)
    _response, messages = saved(admin_client, binding, "token_logistics_7")
    assert any(
        "Template 100009 costs 150 VND one by one, less than a journey token (200 VND)" in m
        for m in messages
    )


def test_a_normal_send_is_not_warned_about(admin_client):
    binding = BindingFactory(event="order_paid", template=TemplateFactory(price=Decimal("100")))
    response, messages = saved(admin_client, binding, "")
    assert response.status_code == 302 and binding.journey_type == ""
    assert not [m for m in messages if "journey" in m]


def test_an_unknown_token_type_is_refused(admin_client):
    binding = BindingFactory(event="order_shipped")
    response, _messages = saved(admin_client, binding, "token_bus_7")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert binding.journey_type == ""


def test_a_copy_keeps_the_journey(admin_client):
    binding = BindingFactory(event="order_shipped", journey_type="token_logistics_7")
    assert duplicate(binding).journey_type == "token_logistics_7"
