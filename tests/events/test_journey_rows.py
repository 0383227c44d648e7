"""A binding marked for a ZNS Journey writes its token type on the order's message rows."""

from __future__ import annotations

import pytest

from tests.factories import BindingFactory, OrderFactory
from zns_notify import notify
from zns_notify.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_binding_s_journey_type_is_copied_onto_its_messages():
    BindingFactory(event="order_shipped", journey_type="token_logistics_30")
    BindingFactory(event="order_shipped")
    order = OrderFactory()

    notify("order_shipped", order)

    rows = dict(Message.objects.values_list("binding__journey_type", "journey_type"))
    assert rows == {"token_logistics_30": "token_logistics_30", "": ""}


def test_a_message_written_before_the_binding_was_marked_stays_a_normal_send():
    binding = BindingFactory(event="order_shipped")
    notify("order_shipped", OrderFactory())
    binding.journey_type = "token_logistics_7"
    binding.save()

    assert Message.objects.get().journey_type == ""
