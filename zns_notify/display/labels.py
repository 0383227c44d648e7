"""Words the admin shows for stored event names, in the operator's language. The stored
values, the API and the CSV exports keep the names. (Error categories:
:mod:`zns_notify.display.error_categories`.)"""

from __future__ import annotations

from django.utils.translation import gettext

from zns_notify.conf import app_settings


def event_choices() -> list[tuple[str, str]]:
    """``(name, "name — label")`` for every configured event. The core events' English labels
    (``conf.CORE_EVENTS``) are in our catalogue; a host's own labels pass through gettext
    too, so a host that translates them in its own catalogue sees them translated."""
    return [
        (name, f"{name} — {gettext(str(label))}" if label else name)
        for name, label in app_settings.EVENTS.items()
    ]
