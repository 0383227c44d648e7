"""Which events are of the delivery stage, and what the editor warns about a journey
binding (zns_notify.bindings.journey_advice)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import TemplateFactory
from zns_notify.bindings.journey_advice import is_delivery_event, journey_warnings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "event,delivery",
    [
        ("order_shipped", True),
        ("order_delivered", True),
        ("order_out_for_delivery", True),
        ("order_at_local_hub", True),
        ("order_handed_to_carrier", True),
        ("order_returned", True),
        ("delivery_postponed", True),
        ("order_created", False),
        ("order_paid", False),
        ("otp:login", False),
    ],
)
def test_delivery_stage_events(event, delivery):
    assert is_delivery_event(event) is delivery


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
