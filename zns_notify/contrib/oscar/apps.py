"""The adapter's AppConfig: Oscar's order model described in ``zns_notify_defaults`` (a key
the shop's own ``ZNS_NOTIFY`` sets wins), and Oscar's order signals connected."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_HERE = "zns_notify.contrib.oscar.accessors"


class ZnsNotifyOscarConfig(AppConfig):
    name = "zns_notify.contrib.oscar"
    label = "zns_notify_oscar"
    verbose_name = _("Zalo notifications for Oscar")

    #: Oscar's order, as the ORDER_* settings read it (docs/oscar.md lists each one).
    #: A forked order app keeps the label "order", so the model is "order.Order" in every
    #: Oscar shop.
    zns_notify_defaults = {
        "ORDER_MODEL": "order.Order",
        "ORDER_CODE": "number",
        # Oscar's BillingAddress has no phone: after the shipping address, the address book.
        "ORDER_PHONE": ["shipping_address.phone_number", f"{_HERE}.user_phone"],
        "ORDER_CUSTOMER_NAME": [
            "shipping_address.name",
            "billing_address.name",
            "user.get_full_name",
            "guest_email",
            "user.email",
        ],
        "ORDER_VARIABLES": {
            # The name of the shipping method chosen at checkout, which Oscar copies onto
            # the order ("Giao Hàng Nhanh"): Oscar has no carrier of its own.
            "carrier": "shipping_method",
            "tracking_code": f"{_HERE}.tracking_code",
            "payment_method": f"{_HERE}.payment_method",
        },
        "ORDER_ADMIN_URL": f"{_HERE}.dashboard_order_url",
        # Oscar sends its own signals (receivers.py); the save watcher would fire
        # order_created on the order's first save, before its lines exist.
        "WATCH_ORDER_SAVES": False,
    }

    def ready(self) -> None:
        # receivers imports zns_notify.events, which loads zns_notify's models: they need
        # the app registry that Django is still building when it imports this module.
        # checks registers the pipeline check as it is imported: here, not at the top, so
        # importing this module has no side effect (as zns_notify's own ready() does).
        from zns_notify.contrib.oscar import (
            checks,  # noqa: F401
            receivers,
        )

        receivers.connect()
