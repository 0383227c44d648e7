"""Two adapter apps declaring ZNS_NOTIFY defaults, as zns_notify.contrib.oscar does."""

from django.apps import AppConfig


class ShopAdapterConfig(AppConfig):
    name = "tests.conf"
    label = "zns_test_shop_adapter"
    zns_notify_defaults = {
        "ORDER_MODEL": "shop.Order",
        "ORDER_CODE": "code",
        "ORDER_PHONE": ["phone", "customer.phone"],
        "WATCH_ORDER_SAVES": False,
        "ORDER_VARIABLES": {"payment": "get_payment_method_display"},
    }


class RivalAdapterConfig(AppConfig):
    name = "tests.conf.rival"
    label = "zns_test_rival_adapter"
    zns_notify_defaults = {"ORDER_CODE": "pk", "ORDER_PHONE": ["phone", "customer.phone"]}
