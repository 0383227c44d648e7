"""What zns_notify reads from an Oscar order, where Oscar keeps it (django-oscar 4.2).

Every function takes an order (``order.Order``, forked or not) and follows only the
relations Oscar's own abstract models declare, so nothing here imports Oscar:

- the phone: Oscar's ``ShippingAddress.phone_number`` (a ``PhoneNumberField``), read by the
  attribute path in the defaults; its ``BillingAddress`` has no phone, so the next place is
  the customer's address book (:func:`user_phone`);
- the tracking code: the notes of the order's latest shipping event, where Oscar's
  dashboard stores the reference typed with the event (:func:`tracking_code`);
- the payment method: the types of the order's payment sources (:func:`payment_method`);
- the order's link: the dashboard's order page (:func:`dashboard_order_url`).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.urls import NoReverseMatch, reverse

from zns_notify.conf import app_settings

#: The order code the adapter's defaults read: Oscar's dashboard finds an order by it.
ORDER_NUMBER = "number"


def user_phone(order: Any) -> str:
    """The phone in the customer's address book: the default shipping address's, else the
    one of the address used most for shipping; "" for a guest or a book without phones.

    Oscar copies a checkout's shipping address into the book of a signed-in customer, so
    this finds the phone of an earlier order when this one was shipped without a phone
    (or not shipped at all: a download)."""
    user = order.user
    if user is None:
        return ""
    address = (
        user.addresses.exclude(phone_number="")
        .order_by("-is_default_for_shipping", "-num_orders_as_shipping_address", "-pk")
        .first()
    )
    return str(address.phone_number) if address is not None else ""


def tracking_code(order: Any) -> str:
    """The notes of the latest shipping event that has notes ("" when none has).

    Oscar's dashboard saves the "Reference" typed with a shipping event as its notes
    (``EventHandler.create_shipping_event(..., reference=...)``), which Oscar describes as
    "the dispatch reference, or a tracking number"."""
    event = order.shipping_events.exclude(notes="").order_by("-date_created", "-pk").first()
    return event.notes.strip() if event is not None else ""


def payment_method(order: Any) -> str:
    """The names of the order's payment source types, in the order they were added and
    each once ("Thẻ quà tặng, Chuyển khoản"); "" before any source is saved.

    Oscar's checkout saves the sources after it sends ``order_placed``: in the
    ``order_created`` message of a web checkout this is still empty; a later status
    (paid, shipped) has it."""
    names = order.sources.order_by("pk").values_list("source_type__name", flat=True)
    return ", ".join(dict.fromkeys(name for name in names if name))


def dashboard_order_url(order_type: str, order_pk: str, order_ref: str) -> str | None:
    """The Oscar dashboard's page of the order (``dashboard:order-detail``), for the
    delivery log's order links; None for another model or without a dashboard URL."""
    label = app_settings.ORDER_MODEL
    if not label or order_type != label.lower():
        return None
    number = order_ref
    if app_settings.raw_accessor("ORDER_CODE") != ORDER_NUMBER:
        # The shop reads another code: the dashboard still finds the order by its number.
        model = apps.get_model(label)
        number = model._default_manager.filter(pk=order_pk).values_list("number", flat=True)
        number = next(iter(number), None)
    if not number:
        return None
    try:
        return reverse("dashboard:order-detail", kwargs={"number": number})
    except NoReverseMatch:
        return None
