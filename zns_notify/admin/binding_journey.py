"""The binding editor's "ZNS Journey" fieldset (docs/operators/bindings-and-templates.md):
the choice explained to the operator; the warnings on saving come from
:mod:`zns_notify.bindings.journey_advice`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

JOURNEY_FIELDSET = (
    pgettext_lazy("fieldset", "ZNS Journey"),
    {
        "fields": ["journey_type"],
        "classes": ["zns-journey"],
        "description": _(
            "A journey token is issued by Zalo for one customer and one order's delivery "
            "stage. Zalo bills it once (about 180 VND, JOURNEY_TOKEN_PRICE) when its first "
            "message goes out, and the messages sent with it during its 7 or 30 days are "
            "billed under it instead of one by one. It saves money when an order gets two "
            "or more delivery notices (shipped, out for delivery, delivered…); for a single "
            "notice cheaper than the token it costs more. The template must be declared in "
            "the OA's journey set for the token type on Zalo's side: otherwise Zalo refuses "
            "it (-1491) and the message goes as a normal send, at its own price. Leave it "
            "empty for a normal send."
        ),
    },
)
