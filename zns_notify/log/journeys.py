"""ZNS Journey in the delivery log (docs/operators/delivery-log.md "ZNS Journey"): whether a
message went under its order's journey, as a normal send, or outside the journey and why;
the filter by that; and the message's entry on the timeline.

Everything here reads the message's own columns (``journey_type``, ``journey_id``,
``journey_fallback``, ``status``, ``delivered_at``): no query per row of the list. Under a
journey means Zalo took it under its journey (``Message.is_under_journey``, as the reports
count it): a message linked to one whose send is in flight or unanswered is not yet. The
filter's "under a journey" goes through the message table's partial ``journey`` index.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from zns_notify.models import UNSENT_STATUSES, Journey, JourneyType, Message, under_journey

#: The filter's values.
UNDER = "under"
NORMAL = "normal"
OUTSIDE = "outside"
#: Of a message of a journey binding not sent yet (queued or sending),
PENDING = "pending"
#: or one that ended without Zalo taking it (failed, skipped, cancelled).
NOT_SENT = "not_sent"


def fallback_reasons() -> dict[str, str]:
    """``Message.journey_fallback``'s values in words (docs/journeys.md, the rule's step 3)."""
    return {
        "incompatible": _("the template is not declared for this token type (-1491)"),
        "refused": _("Zalo refused the journey's token and its replacement"),
        "not_issued": _("Zalo would not issue a token"),
        "disabled": _("journeys are switched off (JOURNEYS)"),
        "development": _("a development-mode message (Zalo bills none)"),
        "hashed_phone": _("phone numbers are sent hashed (HASH_PHONE)"),
        "error": _("its journey failed (an error; see the worker's log)"),
    }


def fallback_reason(code: str) -> str:
    return fallback_reasons().get(code, code)


def journey_kind(message: Message) -> str:
    """Under a journey, a normal send (a binding without a journey), outside the journey
    (it went as a normal send: ``journey_fallback`` says why), or a journey binding's
    message Zalo has not taken: pending (not sent yet) or not sent."""
    if message.is_under_journey:
        return UNDER
    if not message.journey_type:
        return NORMAL
    if message.journey_fallback:
        return OUTSIDE
    return PENDING if message.status in UNSENT_STATUSES else NOT_SENT


def _taken(message: Message) -> bool:
    """Zalo took the message (under a journey or one by one)."""
    return message.sent_at is not None or message.delivered_at is not None


def type_label(token_type: str) -> str:
    return str(dict(JourneyType.choices).get(token_type, token_type))


def journey_note(message: Message) -> str:
    """The list's note under the channel: "" for a normal send."""
    kind = journey_kind(message)
    if kind == NORMAL:
        return ""
    if kind == UNDER:
        text, css, title = _("under a journey"), "under", type_label(message.journey_type)
    elif kind == OUTSIDE:
        text, css = _("outside the journey"), "outside"
        title = fallback_reason(message.journey_fallback)
    else:
        text, css, title = _("journey binding"), "pending", type_label(message.journey_type)
    return format_html(
        '<div class="zns-note zns-journey zns-journey--{}" title="{}">{}</div>', css, title, text
    )


def message_journey_text(message: Message) -> str:
    """The journey column of the CSV export and the detail page's summary, in words."""
    kind = journey_kind(message)
    words = {"type": type_label(message.journey_type)}
    if kind == UNDER:
        return _("Under a journey (%(type)s)") % words
    if kind == NORMAL:
        return _("Normal send")
    words["reason"] = fallback_reason(message.journey_fallback)
    if kind == OUTSIDE and _taken(message):
        return _("Sent outside the journey because %(reason)s") % words
    unsent = message.status in UNSENT_STATUSES
    if message.journey_fallback and unsent:
        text = _("Journey binding (%(type)s), not sent yet: outside the journey because %(reason)s")
    elif message.journey_fallback:
        text = _("Journey binding (%(type)s), not sent: outside the journey because %(reason)s")
    elif unsent:
        text = _("Journey binding (%(type)s), not sent yet")
    else:
        text = _("Journey binding (%(type)s), not sent")
    return text % words


class JourneyFilter(admin.SimpleListFilter):
    title = pgettext_lazy("filter", "ZNS Journey")
    parameter_name = "journey"

    def lookups(self, request, model_admin):
        return [
            (UNDER, gettext_lazy("Under a journey")),
            (NORMAL, gettext_lazy("Normal send")),
            (OUTSIDE, gettext_lazy("Sent outside the journey")),
            *(
                (f"{OUTSIDE}:{code}", _("Outside: %(reason)s") % {"reason": reason})
                for code, reason in fallback_reasons().items()
            ),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == UNDER:
            return queryset.filter(under_journey())
        if value == NORMAL:
            return queryset.filter(journey_type="")
        if value == OUTSIDE:
            return queryset.filter(journey__isnull=True).exclude(journey_fallback="")
        code = value.removeprefix(f"{OUTSIDE}:")
        if value.startswith(f"{OUTSIDE}:") and code in fallback_reasons():
            return queryset.filter(journey__isnull=True, journey_fallback=code)
        return queryset.none()  # a hand-typed value: nothing matches, not a 500


def timeline_entries(message: Message, journey: Journey | None, entry) -> list:
    """The message's journey on its timeline: when it went under it (Zalo's acceptance), or
    went outside it and why. ``entry`` is :class:`zns_notify.log.timeline.Entry`."""
    kind = journey_kind(message)
    if kind == UNDER and journey is not None:
        detail = _("Journey %(id)s of order %(order)s, %(type)s.") % {
            "id": journey.journey_id or journey.pk,
            "order": journey.order_ref or journey.order_pk,
            "type": type_label(journey.token_type),
        }
        return [
            entry(
                at=message.sent_at or message.delivered_at,  # a receipt settled a lost answer
                kind="journey",
                label=_("Sent under the order's journey"),
                detail=detail,
            )
        ]
    if kind == OUTSIDE and _taken(message):
        return [
            entry(
                at=message.sent_at,
                kind="journey",
                label=_("Sent outside the journey"),
                detail=message_journey_text(message),
            )
        ]
    return []
