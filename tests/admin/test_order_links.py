"""Where the delivery log links an order: ORDER_ADMIN_URL (an adapter's dashboard, issue
16), else the Django admin page of the order's model."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import MessageFactory
from zns_notify.checks import check_settings

pytestmark = pytest.mark.django_db

LIST = reverse("admin:zns_notify_message_changelist")
CALLS: list[tuple[str, str, str]] = []


def dashboard_url(order_type: str, order_pk: str, order_ref: str) -> str | None:
    CALLS.append((order_type, order_pk, order_ref))
    return f"/dashboard/orders/{order_ref}/" if order_type == "shop.order" else None


def broken_url(order_type, order_pk, order_ref):
    raise RuntimeError("dashboard not mounted")


def link_setting(settings, value):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_ADMIN_URL": value}


def test_without_the_setting_the_admin_page_of_the_model(admin_client):
    message = MessageFactory(order_type="shop.order", order_pk="7", order_ref="DH7")
    html = admin_client.get(LIST).content.decode()
    assert '<a href="/admin/shop/order/7/change/">DH7</a>' in html
    detail = reverse("admin:zns_notify_message_change", args=[message.pk])
    assert '/admin/shop/order/7/change/"' in admin_client.get(detail).content.decode()


@pytest.mark.parametrize("value", [dashboard_url, "tests.admin.test_order_links.dashboard_url"])
def test_a_callable_or_its_dotted_path_gives_the_link(settings, admin_client, value):
    link_setting(settings, value)
    CALLS.clear()
    MessageFactory(order_type="shop.order", order_pk="7", order_ref="DH7")
    MessageFactory(order_type="api.order", order_pk="x-9", order_ref="EXT-9", phone="84900000009")
    html = admin_client.get(LIST).content.decode()
    assert '<a href="/dashboard/orders/DH7/">DH7</a>' in html
    assert "/admin/shop/order/7/" not in html
    assert "EXT-9" in html and "EXT-9</a>" not in html  # the callable said None: no link
    assert ("shop.order", "7", "DH7") in CALLS


def test_a_failing_callable_costs_the_link_not_the_page(settings, admin_client, caplog):
    link_setting(settings, broken_url)
    MessageFactory(order_type="shop.order", order_pk="7", order_ref="DH7")
    response = admin_client.get(LIST)
    assert response.status_code == 200
    assert "DH7" in response.content.decode() and "DH7</a>" not in response.content.decode()
    assert "dashboard not mounted" in caplog.text


def e009() -> list[str]:
    return [p.msg for p in check_settings() if p.id == "zns_notify.E009"]


def test_the_check_accepts_a_callable_its_path_and_none(settings):
    for value in (dashboard_url, "tests.admin.test_order_links.dashboard_url", None):
        link_setting(settings, value)
        assert e009() == []


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("tests.admin.test_order_links.LIST", "is not the dotted path of a callable"),
        ("/dashboard/orders/", "is not the dotted path of a callable"),
        (42, "is not a callable or the dotted path of one"),
    ],
)
def test_the_check_refuses_what_gives_no_link(settings, value, says):
    link_setting(settings, value)
    [problem] = e009()
    assert 'ZNS_NOTIFY["ORDER_ADMIN_URL"]' in problem and says in problem
