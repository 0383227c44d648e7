"""Defaults an installed adapter app declares for ZNS_NOTIFY keys (issue 16): they fill
the keys the shop leaves unset, the shop's own values win, and a clash is reported."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.db.models.signals import post_save
from django.test import override_settings

from zns_notify.checks import check_settings
from zns_notify.conf import app_settings
from zns_notify.events import watchers

ADAPTER = "tests.conf.adapter_apps.ShopAdapterConfig"
RIVAL = "tests.conf.adapter_apps.RivalAdapterConfig"


def installed(*extra: str):
    return override_settings(INSTALLED_APPS=[*django_settings.INSTALLED_APPS, *extra])


def test_an_installed_adapter_fills_the_unset_keys(settings):
    settings.ZNS_NOTIFY = {"APP_ID": "1", "APP_SECRET": "s"}
    assert app_settings.ORDER_MODEL is None and app_settings.WATCH_ORDER_SAVES is True
    with installed(ADAPTER):
        assert app_settings.ORDER_MODEL == "shop.Order"
        assert app_settings.ORDER_PHONE == ["phone", "customer.phone"]
        assert app_settings.WATCH_ORDER_SAVES is False
        assert app_settings.ORDER_VARIABLES == {"payment": "get_payment_method_display"}
    assert app_settings.ORDER_MODEL is None  # gone with the app


def test_the_shops_own_value_wins(settings):
    settings.ZNS_NOTIFY = {"APP_ID": "1", "ORDER_CODE": "number", "WATCH_ORDER_SAVES": True}
    with installed(ADAPTER):
        assert app_settings.ORDER_CODE == "number"
        assert app_settings.WATCH_ORDER_SAVES is True
        assert app_settings.ORDER_MODEL == "shop.Order"


def test_the_defaults_are_checked_like_the_shops_values(settings):
    settings.ZNS_NOTIFY = {"APP_ID": "1", "APP_SECRET": "s", "ORDER_PHONE": None}
    with installed(ADAPTER):
        ids = [p.id for p in check_settings() if p.id.startswith("zns_notify.E")]
    assert ids == []


def test_two_adapters_declaring_different_values_are_an_error(settings):
    settings.ZNS_NOTIFY = {"APP_ID": "1", "APP_SECRET": "s"}
    with installed(ADAPTER, RIVAL):
        assert app_settings.ORDER_CODE == "code"  # the first app listed
        [problem] = [p for p in check_settings() if p.id == "zns_notify.E013"]
    assert 'ZNS_NOTIFY["ORDER_CODE"]' in problem.msg
    assert "zns_test_shop_adapter, zns_test_rival_adapter" in problem.msg
    # the same value declared twice is no clash
    assert "ORDER_PHONE" not in problem.msg


def test_setting_the_key_yourself_ends_the_clash(settings):
    settings.ZNS_NOTIFY = {"APP_ID": "1", "APP_SECRET": "s", "ORDER_CODE": "code"}
    with installed(ADAPTER, RIVAL):
        problems = [p.msg for p in check_settings() if p.id == "zns_notify.E013"]
    assert problems == []


@pytest.fixture
def unwatched():
    watchers.disconnect_order_watcher()
    yield
    watchers.disconnect_order_watcher()
    watchers.connect_order_watcher()


def hooked() -> bool:
    return any(key[0] == "zns_notify.watch.save" for key, *_rest in post_save.receivers)


def test_watch_order_saves_off_leaves_the_order_model_unhooked(settings, unwatched):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_MODEL": "shop.Order"}
    settings.ZNS_NOTIFY["WATCH_ORDER_SAVES"] = False
    watchers.connect_order_watcher()
    assert not hooked()
    settings.ZNS_NOTIFY["WATCH_ORDER_SAVES"] = True
    watchers.connect_order_watcher()
    assert hooked()
