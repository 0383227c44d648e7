"""Words the admin shows for stored codes: error categories and events, in the operator's
language. The stored values, the API and the CSV exports keep the codes."""

from __future__ import annotations

from django.utils.translation import gettext


def category_labels() -> dict[str, str]:
    """``Message.error_category`` value -> what an operator reads."""
    from .ambiguity import CATEGORY as AMBIGUOUS
    from .log_actions import CANCELLED_BY_OPERATOR
    from .policy import CATEGORY as POLICY

    return {
        "retry": gettext("temporary error"), "refresh": gettext("access token"),
        "reschedule": gettext("quota or time window"),
        "config": gettext("account or template setup"),
        "recipient": gettext("recipient"), "payload": gettext("message content"),
        POLICY: gettext("policy"), AMBIGUOUS: gettext("unknown outcome"),
        CANCELLED_BY_OPERATOR: gettext("cancelled by an operator"), "": gettext("no category"),
    }


def category_label(category: str) -> str:
    return category_labels().get(category, category)


def event_choices() -> list[tuple[str, str]]:
    """``(name, "name — label")`` for every configured event. The core events' English labels
    (``conf.CORE_EVENTS``) are in our catalogue; a host's own labels pass through gettext
    too, so a host that translates them in its own catalogue sees them translated."""
    from .conf import app_settings

    return [(name, f"{name} — {gettext(str(label))}" if label else name)
            for name, label in app_settings.EVENTS.items()]
