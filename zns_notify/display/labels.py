"""Words the admin shows for stored codes: error categories and events, in the operator's
language. The stored values, the API and the CSV exports keep the codes."""

from __future__ import annotations

from django.utils.translation import gettext


def category_labels() -> dict[str, str]:
    """``Message.error_category`` value -> what an operator reads (one vocabulary for the
    log, its filter and the reports: :mod:`zns_notify.display.error_categories`)."""
    from zns_notify.display.error_categories import labels

    return {**{code: str(name) for code, name in labels().items()}, "": gettext("No category")}


def event_choices() -> list[tuple[str, str]]:
    """``(name, "name — label")`` for every configured event. The core events' English labels
    (``conf.CORE_EVENTS``) are in our catalogue; a host's own labels pass through gettext
    too, so a host that translates them in its own catalogue sees them translated."""
    from zns_notify.conf import app_settings

    return [
        (name, f"{name} — {gettext(str(label))}" if label else name)
        for name, label in app_settings.EVENTS.items()
    ]
