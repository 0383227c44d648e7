from __future__ import annotations

import pytest

from zns_notify.sms.providers import locmem


@pytest.fixture
def sms_settings(settings):
    """Set SMS keys on top of the test settings: ``sms_settings(SMS_PROVIDER="locmem")``."""

    def apply(**values):
        base = {k: v for k, v in settings.ZNS_NOTIFY.items() if not k.startswith("SMS_")}
        settings.ZNS_NOTIFY = {**base, **values}

    return apply


@pytest.fixture
def outbox():
    locmem.reset()
    yield locmem.outbox
    locmem.reset()
