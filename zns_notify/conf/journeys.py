"""The ``ZNS_NOTIFY`` keys of ZNS Journey (docs/journeys.md, docs/settings.md "ZNS
Journey"): whether journey bindings use journey tokens, what a token and a message under
one cost, and how close to its expiry a journey is still used."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from zns_notify.lib import setting_values as parse

#: What vendors quote for one journey token (zns-api.md §2; issue 18), in VND.
DEFAULT_JOURNEY_TOKEN_PRICE = Decimal(180)
#: Longest ``JOURNEY_EXPIRY_MARGIN``: a day, well inside the shortest token's 7 days.
MAX_EXPIRY_MARGIN = 24 * 3600


_DEFAULT_PRICES = {
    "JOURNEY_TOKEN_PRICE": DEFAULT_JOURNEY_TOKEN_PRICE,
    "JOURNEY_MESSAGE_PRICE": Decimal(0),
}


def _price(key: str, value: Any) -> Decimal:
    """A price in VND; unset (None) is the key's default, never "unknown"."""
    return _DEFAULT_PRICES[key] if value is None else parse.price(key, value) or Decimal(0)


class JourneySettings:
    """Mixed into :class:`zns_notify.conf.AppSettings`, which provides ``_get``."""

    _get: Callable[..., Any]

    @property
    def JOURNEYS(self) -> bool:
        """Whether bindings marked for a ZNS Journey send under the order's journey token
        (default True). False: they send one by one, as other bindings do."""
        value = self._get("JOURNEYS", True)
        if not isinstance(value, bool):
            raise parse.invalid("JOURNEYS", "must be True or False.")
        return value

    @property
    def JOURNEY_TOKEN_PRICE(self) -> Decimal:
        """What Zalo bills for one journey token, in VND (default 180), recorded on a
        journey when its first message is accepted; the reports' saving is measured
        against it."""
        return _price("JOURNEY_TOKEN_PRICE", self._get("JOURNEY_TOKEN_PRICE", None))

    @property
    def JOURNEY_MESSAGE_PRICE(self) -> Decimal:
        """What one message under a journey costs on top of the token, in VND (default
        0: vendors bill the journey's messages with the token)."""
        return _price("JOURNEY_MESSAGE_PRICE", self._get("JOURNEY_MESSAGE_PRICE", None))

    @property
    def JOURNEY_EXPIRY_MARGIN(self) -> int:
        """Seconds before a journey's expiry from which it is no longer used: a message
        due then starts a new journey instead of meeting Zalo's -150 (default 600; 0 to
        86400)."""
        value = self._get("JOURNEY_EXPIRY_MARGIN", 600)
        return parse.whole_number("JOURNEY_EXPIRY_MARGIN", value, 0, MAX_EXPIRY_MARGIN)
