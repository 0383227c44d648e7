"""The ``ZNS_NOTIFY`` keys of ZNS Journey (docs/journeys.md, docs/settings.md "ZNS
Journey"): what Zalo bills for a journey token and for a message sent under one."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from zns_notify.lib import setting_values as parse

#: What vendors quote per journey token (zns-api.md §2).
DEFAULT_JOURNEY_TOKEN_PRICE = Decimal(180)


class JourneySettings:
    """Mixed into :class:`zns_notify.conf.AppSettings`, which provides ``_get``."""

    _get: Callable[..., Any]

    @property
    def JOURNEY_TOKEN_PRICE(self) -> Decimal:
        """What Zalo bills for one journey token, in VND (default 180): billed once, when
        the first message under the token goes out. The reports count a journey at this
        price as it was when the journey was billed."""
        value = self._get("JOURNEY_TOKEN_PRICE", DEFAULT_JOURNEY_TOKEN_PRICE)
        return parse.price("JOURNEY_TOKEN_PRICE", value)

    @property
    def JOURNEY_MESSAGE_PRICE(self) -> Decimal:
        """What a delivered message sent under a journey costs on top of the token, in VND
        (default 0: vendors bill the journey's messages with its token)."""
        return parse.price("JOURNEY_MESSAGE_PRICE", self._get("JOURNEY_MESSAGE_PRICE", 0))
