"""System checks for the policy settings (zns_notify.E040, W040)."""

from __future__ import annotations

from django.core.checks import Error, Tags, Warning, register

from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.policy.rules import cap_for


@register(Tags.compatibility)
def check_recipient_cap(app_configs=None, **kwargs) -> list:
    """E040: ``RECIPIENT_DAILY_CAP`` cannot be read. W040: it caps TRANSACTION messages,
    so a customer's orders past the cap lose their order notices: the usual cause is one
    number written for every tag, the meaning it had before the per-tag defaults."""
    try:
        caps = app_settings.RECIPIENT_DAILY_CAP
    except ZnsConfigurationError as exc:
        return [Error(str(exc), id="zns_notify.E040")]
    cap = cap_for("TRANSACTION", caps)
    if not cap:
        return []
    action = (
        "deferred to the next day"
        if app_settings.RECIPIENT_CAP_ACTION == "defer"
        else "skipped, never sent"
    )
    return [
        Warning(
            f'ZNS_NOTIFY["RECIPIENT_DAILY_CAP"] caps TRANSACTION messages at {cap} a day per '
            f"phone: a customer's order notices past that are {action}.",
            hint=(
                "Cap only care and promotion with a dict, for example "
                '{"CUSTOMER_CARE": 5, "PROMOTION": 3} (TRANSACTION is then not capped), or '
                'add "zns_notify.W040" to SILENCED_SYSTEM_CHECKS if the cap is meant.'
            ),
            id="zns_notify.W040",
        )
    ]
