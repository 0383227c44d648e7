"""System check of the ZNS Journey settings (zns_notify.E060)."""

from __future__ import annotations

from django.core.checks import Error, Tags, register

from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError

#: Every setting read when a journey message is sent or a journey billed.
KEYS = ("JOURNEYS", "JOURNEY_TOKEN_PRICE", "JOURNEY_MESSAGE_PRICE", "JOURNEY_EXPIRY_MARGIN")


@register(Tags.compatibility)
def check_journey_settings(app_configs=None, **kwargs) -> list:
    """E060: a ``JOURNEY*`` setting cannot be read; found at start-up rather than by the
    first delivery notice."""
    errors = []
    for key in KEYS:
        try:
            getattr(app_settings, key)
        except ZnsConfigurationError as exc:
            errors.append(Error(str(exc), id="zns_notify.E060"))
    return errors
