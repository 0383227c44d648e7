"""System checks for the SMS settings (zns_notify.E020-E022, W020-W021)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.sms.registry import provider_class

#: Providers whose messages never reach a phone.
OFFLINE_PROVIDERS = ("console", "locmem")


@register(Tags.compatibility)
def check_sms_settings(app_configs=None, **kwargs) -> list:
    problems: list = []
    for key in ("SMS_MAX_SEGMENTS", "SMS_COST_PER_SEGMENT", "SMS_PROVIDER_OPTIONS"):
        try:
            getattr(app_settings, key)
        except ZnsConfigurationError as exc:
            problems.append(Error(str(exc), id="zns_notify.E022"))
    name = app_settings.SMS_PROVIDER
    if name is None:
        return problems
    try:
        cls = provider_class(name)
    except ZnsConfigurationError as exc:
        return [
            *problems,
            Error(
                str(exc),
                hint='Use "esms", "http", "console", "locmem" or '
                "the dotted path of an SmsProvider subclass.",
                id="zns_notify.E020",
            ),
        ]
    if not any(p.id == "zns_notify.E022" for p in problems):
        options = app_settings.SMS_PROVIDER_OPTIONS
        problems += [
            Error(problem, hint="See docs/sms.md for the provider's options.", id="zns_notify.E021")
            for problem in cls.option_problems(options)
        ]
        if cls.alias == "esms" and options.get("sandbox") and not settings.DEBUG:
            problems.append(
                Warning(
                    'ZNS_NOTIFY["SMS_PROVIDER_OPTIONS"]["sandbox"] is on while DEBUG is off: '
                    "eSMS validates each SMS but never sends it.",
                    hint="Remove the sandbox option in production.",
                    id="zns_notify.W021",
                )
            )
    if cls.alias in OFFLINE_PROVIDERS and not settings.DEBUG:
        problems.append(
            Warning(
                f'ZNS_NOTIFY["SMS_PROVIDER"] is {name!r} while DEBUG is off: no SMS reaches a '
                "phone.",
                hint='Use a real provider such as "esms" in production.',
                id="zns_notify.W020",
            )
        )
    return problems
