"""The ``ZNS_NOTIFY`` keys that say how to read the shop's orders (docs/settings.md,
"Order integration"): which model, which status values fire which events, and where an
order keeps its phone, customer name, code and the other values bindings read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_noop as N_

#: The four order events every shop has; hosts add more through ``EXTRA_EVENTS``.
#: The labels stay English here (settings, checks, the API); the admin translates them.
CORE_EVENTS: dict[str, str] = {
    "order_created": N_("Order created"),
    "order_paid": N_("Order paid"),
    "order_shipped": N_("Order shipped"),
    "order_delivered": N_("Order delivered"),
}

#: How an order value is read: an attribute path, a callable, the dotted path of one, or a
#: list of those tried in turn (zns_notify.rendering.order_data.resolve).
Accessor = str | Callable[[Any], Any] | list[str | Callable[[Any], Any]]


class OrderSettings:
    """Mixed into :class:`zns_notify.conf.AppSettings`, which provides ``_get``."""

    _get: Callable[..., Any]

    @property
    def ORDER_MODEL(self) -> str | None:
        """``"app_label.ModelName"`` of the host's order model to watch, or None for none.

        The watcher is connected when Django starts; the other ORDER_* keys are read live.
        """
        return self._get("ORDER_MODEL", None)

    @property
    def WATCH_ORDER_SAVES(self) -> bool:
        """Whether the status watcher hooks ORDER_MODEL's saves (default True): an order
        saved into a status of ``ORDER_STATUS_EVENTS`` fires its event. An adapter whose
        framework announces its orders with its own signals (``zns_notify.contrib.oscar``)
        turns it off. Read when Django starts, like ``ORDER_MODEL``."""
        return bool(self._get("WATCH_ORDER_SAVES", True))

    @property
    def ORDER_STATUS_FIELD(self) -> str:
        """Name of the order model's status field."""
        return str(self._get("ORDER_STATUS_FIELD", "status"))

    @property
    def ORDER_STATUS_EVENTS(self) -> dict[str, str]:
        """Map of status value -> event name; an order entering that status fires the event.

        A key the status field's ``choices`` do not offer never fires (``zns_notify.W009``)."""
        return dict(self._get("ORDER_STATUS_EVENTS", {}))

    #: What ORDER_PHONE / ORDER_CUSTOMER_NAME / ORDER_CODE read when unset.
    ORDER_ACCESSOR_DEFAULTS = {
        "ORDER_PHONE": "phone",
        "ORDER_CUSTOMER_NAME": "customer_name",
        "ORDER_CODE": "code",
    }

    def raw_accessor(self, key: str) -> Any:
        """An ORDER_* value as the shop wrote it (or its default), for the check that says
        when it is neither a string, a callable nor a list of them."""
        return self._get(key, self.ORDER_ACCESSOR_DEFAULTS[key])

    def _accessor(self, key: str) -> Accessor:
        return accessor_value(self.raw_accessor(key))

    @property
    def ORDER_PHONE(self) -> Accessor:
        """How to read the phone number from an order: a callable taking the order, the
        dotted import path of one (``"shop.utils.order_phone"``: the part before the last
        dot is an importable module holding a callable of that name), or else an attribute
        path (``"phone"``, ``"customer.phone"``; a method at its end is called). A list of
        these is tried in turn, the first non-empty value wins (``["shipping_address.phone",
        "customer.phone"]``); a path that meets None or a missing related object is empty.
        Checked by ``zns_notify.E007``."""
        return self._accessor("ORDER_PHONE")

    @property
    def ORDER_CUSTOMER_NAME(self) -> Accessor:
        """How to read the customer's name from an order; read as ``ORDER_PHONE`` is."""
        return self._accessor("ORDER_CUSTOMER_NAME")

    @property
    def ORDER_CODE(self) -> Accessor:
        """How to read the order code customers know; read as ``ORDER_PHONE`` is."""
        return self._accessor("ORDER_CODE")

    @property
    def ORDER_VARIABLES(self) -> dict[str, Accessor]:
        """More variables for binding expressions, conditions and SMS texts, read from the
        order: ``{"tracking_code": "shipment.tracking_number", "carrier": [...]}``, each
        value read as ``ORDER_PHONE`` is, only when a binding uses it. Keyword arguments
        of ``notify()`` win over them. Checked by ``zns_notify.E008``."""
        value = self.raw_order_variables()
        if not isinstance(value, dict):
            return {}  # zns_notify.E008 says why
        return {str(k): accessor_value(v) for k, v in value.items()}

    def raw_order_variables(self) -> Any:
        """ORDER_VARIABLES as the shop wrote it, for its system check."""
        return self._get("ORDER_VARIABLES", {})

    @property
    def ORDER_ADMIN_URL(self) -> Callable[[str, str, str], str | None] | str | None:
        """Where the delivery log links an order: None (the default) for its Django admin
        page, when ORDER_MODEL is registered there; or a callable, or the dotted path of
        one, taking ``(order_type, order_pk, order_ref)`` ("app_label.model", the primary
        key and the order code, all strings) and returning a URL or None (no link)."""
        return self._get("ORDER_ADMIN_URL", None)

    @property
    def EXTRA_EVENTS(self) -> dict[str, str]:
        """Events the shop adds beyond the four core ones: ``{name: label}``."""
        return dict(self._get("EXTRA_EVENTS", {}))

    @property
    def EVENTS(self) -> dict[str, str]:
        """All known events (core first), as ``{name: label}``. Derived, not a key."""
        return {**CORE_EVENTS, **self.EXTRA_EVENTS}


def accessor_value(value: Any) -> Accessor:
    """An accessor as the readers take it: a callable as is, a list or tuple as a list of
    accessors, anything else as its text."""
    if callable(value):
        return value
    if isinstance(value, list | tuple):
        return [item if callable(item) else str(item) for item in value]
    return str(value)
