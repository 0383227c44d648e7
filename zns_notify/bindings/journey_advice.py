"""What the binding editor says of a binding sent under a ZNS Journey (docs/journeys.md,
docs/operators/bindings-and-templates.md "ZNS Journey"): warnings, never refusals, since
a journey binding that saves nothing still delivers its notice.

- The event is a core event before the delivery stage (order created, order paid): an
  order gets such a message once, before its journey would bring more, so the token costs
  more than the message alone. A shop's own events (``EXTRA_EVENTS``) are the shop's call:
  their names say nothing reliable (``order_refunded``, ``don_hang_da_giao``).
- The template costs less than a token one by one: the journey saves money only when the
  order gets two or more delivery notices under it.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from zns_notify.conf import app_settings
from zns_notify.display import formats

#: The core events of an order before its delivery stage.
BEFORE_DELIVERY = frozenset({"order_created", "order_paid"})


def is_before_delivery(event: str) -> bool:
    return event in BEFORE_DELIVERY


def journey_warnings(journey_type: str, event: str, template) -> list[str]:
    """What the operator should know before sending ``event`` with ``template`` under a
    journey of ``journey_type`` ("" for a normal send: nothing to say)."""
    if not journey_type:
        return []
    warnings = []
    if is_before_delivery(event):
        warnings.append(
            _(
                "%(event)s is not a delivery-stage event (shipped, out for delivery, "
                "delivered, returned…): a journey token is worth it for the notices that "
                "follow an order to the customer's door; for this message alone it costs "
                "more than a normal send."
            )
            % {"event": event}
        )
    price = getattr(template, "price", None)
    token = app_settings.JOURNEY_TOKEN_PRICE
    if price is not None and price < token:
        warnings.append(
            _(
                "Template %(template)s costs %(price)s one by one, less than a journey "
                "token (%(token)s): the journey saves money only when the order gets two "
                "or more delivery notices under it."
            )
            % {
                "template": template.template_id,
                "price": formats.money(price),
                "token": formats.money(token),
            }
        )
    return warnings
