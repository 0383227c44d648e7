"""System check of the SMS fallback: bindings that would fall back to SMS without an SMS
provider (the binding check refuses that when it is saved, not when the setting is
removed afterwards)."""

from __future__ import annotations

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError, router

from zns_notify.conf import app_settings
from zns_notify.models import Binding


@register(Tags.database)
def check_fallback_provider(app_configs=None, databases=None, **kwargs):
    """zns_notify.W030: active bindings with ``sms_enabled`` while ``SMS_PROVIDER`` is
    unset. A database check, run by ``manage.py check --database default`` and ``migrate``."""
    using = router.db_for_read(Binding)
    if not databases or using not in databases or app_settings.SMS_PROVIDER:
        return []
    try:
        names = [
            str(b)
            for b in Binding.objects.using(using).filter(is_active=True, sms_enabled=True)[:20]
        ]
    except DatabaseError:  # not migrated yet: nothing to check
        return []
    if not names:
        return []
    return [
        Warning(
            f"{len(names)} active binding(s) have the SMS fallback on but no SMS provider is "
            f"configured: {', '.join(names)}. Their SMS will fail.",
            hint='Set ZNS_NOTIFY["SMS_PROVIDER"] (docs/sms.md) or turn the bindings\' SMS '
            "fallback off.",
            id="zns_notify.W030",
        )
    ]
