"""What the binding editor warns about a journey binding (zns_notify.bindings.journey_advice):
a core event before delivery, a template cheaper than the token."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import TemplateFactory
from zns_notify.bindings.journey_advice import journey_warnings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "event,warned",
    [
        ("order_created", True),
        ("order_paid", True),
        ("order_shipped", False),
        ("order_delivered", False),
        # A shop's own events are its call, whatever their names say.
        ("order_refunded", False),
        ("order_payment_returned", False),
        ("don_hang_da_giao", False),
        ("giao_hang_that_bai", False),
        ("order_out_for_delivery", False),
    ],
)
def test_only_the_core_events_before_delivery_are_warned_about(event, warned):
    template = TemplateFactory(template_id="100009", price=Decimal("300"))
    assert bool(journey_warnings("token_logistics_7", event, template)) is warned


def test_warnings(settings):
    template = TemplateFactory(template_id="100009", price=Decimal("150"))
    assert journey_warnings("", "order_paid", template) == []
    found = journey_warnings("token_logistics_7", "order_paid", template)
    assert len(found) == 2
    assert journey_warnings("token_logistics_7", "order_shipped", template)[0].startswith(
        "Template 100009 costs"
    )
    # A price equal to the token's, or unknown (not synced): nothing said about it.
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "JOURNEY_TOKEN_PRICE": 150}
    assert journey_warnings("token_logistics_7", "order_shipped", template) == []
    unknown = TemplateFactory(template_id="100010", price=None)
    assert journey_warnings("token_logistics_7", "order_shipped", unknown) == []
    assert journey_warnings("token_logistics_7", "order_shipped", None) == []
