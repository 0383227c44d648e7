"""System checks of the ZNS Journey settings (zns_notify.E060, W061)."""

from __future__ import annotations

from django.core.checks import Error, Tags, Warning, register

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
    if not errors and app_settings.JOURNEYS and _hashed_phone():
        errors.append(
            Warning(
                'ZNS_NOTIFY["JOURNEYS"] is on with HASH_PHONE: Zalo\'s get-token takes only a '
                "plain phone number, so journey bindings send one by one (journey_fallback "
                '"hashed_phone")',
                hint="Turn JOURNEYS off, or HASH_PHONE off to send under journeys.",
                id="zns_notify.W061",
            )
        )
    return errors


def _hashed_phone() -> bool:
    try:
        return bool(app_settings.HASH_PHONE)
    except ZnsConfigurationError:  # its own check reports it
        return False
