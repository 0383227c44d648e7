"""System checks for the policy settings (zns_notify.E040, W040, I041)."""

from __future__ import annotations

from django.core.checks import Error, Info, Tags, Warning, register

from zns_notify.conf import DEFAULT_RECIPIENT_DAILY_CAP, app_settings
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.lib.setting_values import counts_by_tag, tags_left_to_defaults
from zns_notify.policy.rules import cap_for


def _over_the_cap() -> str:
    """What happens to a message past the cap, for the checks' messages."""
    try:
        defer = app_settings.RECIPIENT_CAP_ACTION == "defer"
    except ZnsConfigurationError:
        defer = False  # its own error is raised where it is read for a send
    return "deferred to the next day" if defer else "skipped, never sent"


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
    return [
        Warning(
            f'ZNS_NOTIFY["RECIPIENT_DAILY_CAP"] caps TRANSACTION messages at {cap} a day per '
            f"phone: a customer's order notices past that are {_over_the_cap()}.",
            hint=(
                "Cap only care and promotion with a dict, for example "
                '{"CUSTOMER_CARE": 5, "PROMOTION": 3} (TRANSACTION is then not capped), or '
                'add "zns_notify.W040" to SILENCED_SYSTEM_CHECKS if the cap is meant.'
            ),
            id="zns_notify.W040",
        )
    ]


@register(Tags.compatibility)
def check_recipient_cap_defaults(app_configs=None, **kwargs) -> list:
    """I041: a dict ``RECIPIENT_DAILY_CAP`` without ``"*"`` leaves tags it does not name to
    their default cap. Until the per-tag defaults such a tag was not capped, so a dict
    written then (the old docs' ``{"TRANSACTION": 0, "PROMOTION": 1}``) now caps customer
    care at 5 without a word; naming every tag says what the shop means."""
    try:
        _ = app_settings.RECIPIENT_DAILY_CAP
    except ZnsConfigurationError:
        return []  # E040 says why
    written = app_settings.raw_recipient_daily_cap()
    left = tags_left_to_defaults(written, DEFAULT_RECIPIENT_DAILY_CAP)
    if not left:
        return []
    caps = ", ".join(f"{tag} {cap}" for tag, cap in left.items())
    named = ", ".join(f'"{tag}": {n}' for tag, n in {**counts_by_tag(written), **left}.items())
    # Info, not a warning: the shop may mean it (the docs' own {"PROMOTION": 1}), and a CI
    # that fails on warnings must not fail on a notice about an upgrade.
    return [
        Info(
            f'ZNS_NOTIFY["RECIPIENT_DAILY_CAP"] gives the default cap to the tags it does '
            f"not name: {caps} a day per phone. Until this release a tag the dict did not "
            f"name was not capped; now its messages past the cap are {_over_the_cap()}.",
            hint=(
                f"Name every tag in the dict, 0 for no cap: {{{named}}} keeps the caps in "
                "force now, 0 in place of a default leaves that tag uncapped as before. Or "
                'add "zns_notify.I041" to SILENCED_SYSTEM_CHECKS.'
            ),
            id="zns_notify.I041",
        )
    ]
