"""Finding the configured provider, and the one-call send the fallback step uses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.module_loading import import_string

from zns_notify.conf import app_settings
from zns_notify.sms.exceptions import SmsConfigurationError
from zns_notify.sms.providers.base import SmsProvider
from zns_notify.sms.results import SmsResult
from zns_notify.sms.text import prepare_text

#: Aliases accepted by ``SMS_PROVIDER``.
ALIASES: dict[str, str] = {
    "console": "zns_notify.sms.providers.console.ConsoleProvider",
    "locmem": "zns_notify.sms.providers.locmem.LocmemProvider",
    "http": "zns_notify.sms.providers.http.GenericHttpProvider",
    "esms": "zns_notify.sms.providers.esms.EsmsProvider",
}


def provider_class(name: str) -> type[SmsProvider]:
    """The class for an alias or dotted path; :class:`SmsConfigurationError` if none."""
    path = ALIASES.get(name, name)
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise SmsConfigurationError(
            f'ZNS_NOTIFY["SMS_PROVIDER"] = {name!r} is neither an alias '
            f"({', '.join(ALIASES)}) nor an importable class: {exc}"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, SmsProvider)):
        raise SmsConfigurationError(
            f'ZNS_NOTIFY["SMS_PROVIDER"] = {name!r} is not a subclass of '
            "zns_notify.sms.SmsProvider."
        )
    return cls


def is_enabled() -> bool:
    """True when ``SMS_PROVIDER`` is set: the SMS channel exists."""
    return app_settings.SMS_PROVIDER is not None


def get_provider(
    name: str | None = None,
    options: dict[str, Any] | None = None,
) -> SmsProvider:
    """The provider ``SMS_PROVIDER`` names, built with ``SMS_PROVIDER_OPTIONS`` (read now,
    so a settings change applies to the next send). Raises :class:`SmsConfigurationError`
    when none is configured or its options are incomplete."""
    name = name or app_settings.SMS_PROVIDER
    if not name:
        raise SmsConfigurationError(
            'Set ZNS_NOTIFY["SMS_PROVIDER"] (for example "esms") to send SMS.'
        )
    cls = provider_class(name)
    return cls(app_settings.SMS_PROVIDER_OPTIONS if options is None else options)


def estimate_cost(segments: int) -> Decimal | None:
    """``segments`` × ``SMS_COST_PER_SEGMENT`` in VND; None when the price is not set."""
    price = app_settings.SMS_COST_PER_SEGMENT
    return None if price is None else price * segments


def send_sms(
    phone: str,
    text: str,
    *,
    reference: str,
    strip: bool | None = None,
    provider: SmsProvider | None = None,
) -> SmsResult:
    """Prepare ``text`` (:func:`prepare_text`) and send it with the configured provider.

    Raises before sending for a bad phone, an empty or too long text, or a missing
    provider; every outcome after that is in the returned :class:`SmsResult`.
    """
    prepared = prepare_text(text, strip=strip)
    return (provider or get_provider()).send(phone, prepared.text, reference=reference)
