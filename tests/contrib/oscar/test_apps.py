"""The adapter turned on by one INSTALLED_APPS line: its defaults describe Oscar's order,
the shop's own ZNS_NOTIFY keys win, and the core's save watcher stays off."""

from __future__ import annotations

import pytest
from django.apps import apps
from oscar.core.loading import get_model

from tests.contrib.oscar.fixtures import place_order
from zns_notify.conf import app_settings
from zns_notify.models import Message

Order = get_model("order", "Order")


def test_the_defaults_describe_oscar_s_order_model(settings):
    assert "ORDER_MODEL" not in settings.ZNS_NOTIFY  # the page's settings do not name it
    assert apps.get_model(app_settings.ORDER_MODEL) is Order
    assert app_settings.raw_accessor("ORDER_CODE") == "number"
    assert app_settings.WATCH_ORDER_SAVES is False
    assert set(app_settings.ORDER_VARIABLES) == {"carrier", "tracking_code", "payment_method"}


def test_the_shop_s_own_value_wins(settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_CODE": "pk"}
    assert app_settings.raw_accessor("ORDER_CODE") == "pk"
    assert app_settings.ORDER_MODEL == "order.Order"  # the keys it leaves keep the defaults


def test_the_core_watcher_leaves_oscar_s_order_saves_alone():
    assert not getattr(Order.save, "_zns_atomic", False)


@pytest.mark.django_db(transaction=True)
def test_saving_an_order_into_a_mapped_status_is_not_an_event(bindings, catalogue):
    # Only Oscar's signals are: a save (an import, a data fix) fires nothing.
    order = place_order(catalogue)
    order.status = "Paid"
    order.save()
    assert list(Message.objects.values_list("event", flat=True)) == ["order_created"]
