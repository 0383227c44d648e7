from __future__ import annotations

import pytest

from tests.factories import BindingFactory, MessageFactory
from zns_notify.sms.providers import locmem


@pytest.fixture
def sms_outbox(settings):
    """The locmem SMS provider, empty, at 850 VND a segment."""
    base = {k: v for k, v in settings.ZNS_NOTIFY.items() if not k.startswith("SMS_")}
    settings.ZNS_NOTIFY = {**base, "SMS_PROVIDER": "locmem", "SMS_COST_PER_SEGMENT": 850}
    locmem.reset()
    yield locmem.outbox
    locmem.reset()


@pytest.fixture
def sms_binding(sms_outbox):
    text = "Don hang {{ order_code }} cua {{ params.customer_name }} da xac nhan."
    return BindingFactory(sms_enabled=True, sms_window_minutes=5, sms_text=text)


@pytest.fixture
def make_message(sms_binding):
    def make(**values):
        values.setdefault("binding", sms_binding)
        values.setdefault("template", sms_binding.template)
        return MessageFactory(**values)

    return make
