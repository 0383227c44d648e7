"""The SMS fallback in the delivery log (docs/operators/delivery-log.md): the channel a
message went out on, the filter by fallback status, the step's entries on the timeline,
its CSV columns and its block on the detail page.

The list reads the step through ``list_select_related`` (one LEFT JOIN on the step's
unique ``message_id``): no query per row. The filter goes through the step table's
``status`` index (a semi-join), never through a scan of the message table.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zns_notify.fallback.steps import label
from zns_notify.lib.amounts import vnd
from zns_notify.models import FallbackStep, Message

Status = FallbackStep.Status
#: The filter's value for "a late receipt made it a double cost".
DOUBLE_COST = "double_cost"
#: The filter's value for messages without a fallback step.
NONE = "none"
#: Up to this many matching steps, the filter starts from the steps; past it, from the
#: log's ordering index (see FallbackStatusFilter.queryset).
FEW_STEPS = 2000


def step_of(message: Message) -> FallbackStep | None:
    """The message's step, or None (read from the select_related join when there is one)."""
    try:
        return message.fallback_step
    except ObjectDoesNotExist:
        return None


def channel_label(step: FallbackStep | None) -> str:
    """ "ZNS", or "ZNS → SMS" once the SMS went out (the CSV's and the badge's text)."""
    return "ZNS → SMS" if step is not None and step.status == Status.SENT else "ZNS"


def step_note(step: FallbackStep | None) -> str:
    """What the SMS fallback of a message still waiting or given up is, in a few words."""
    if step is None or step.status == Status.SENT:
        return ""
    return {
        Status.SCHEDULED: _("SMS scheduled"),
        Status.SENDING: _("SMS sending"),
        Status.FAILED: _("SMS failed"),
        Status.CANCELLED: _("SMS cancelled"),
    }.get(step.status, step.status)


def channel_html(message: Message) -> str:
    step = step_of(message)
    kind = "sms" if step is not None and step.status == Status.SENT else "zns"
    badge = format_html(
        '<span class="zns-channel zns-channel--{}">{}</span>', kind, channel_label(step)
    )
    if step is not None and step.double_cost:
        badge = format_html(
            '{} <span class="zns-double-cost" title="{}">{}</span>',
            badge,
            _("Zalo delivered the message after the SMS went out: both were paid."),
            _("double cost"),
        )
    note = step_note(step)
    return format_html('{}<div class="zns-note">{}</div>', badge, note) if note else badge


class FallbackStatusFilter(admin.SimpleListFilter):
    title = gettext_lazy("SMS fallback")
    parameter_name = "fallback"

    def lookups(self, request, model_admin):
        return [
            (NONE, _("No SMS fallback")),
            *Status.choices,
            (DOUBLE_COST, _("Double cost (late receipt)")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == NONE:
            return queryset.filter(fallback_step__isnull=True)
        steps = FallbackStep.objects.order_by()
        if value == DOUBLE_COST:
            steps = steps.filter(status=Status.SENT, double_cost=True)
        elif value in Status.values:
            steps = steps.filter(status=value)
        else:
            return queryset.none()  # a hand-typed value: nothing matches, not a 500
        # Two plans, chosen by a count capped at FEW_STEPS + 1 on the step's status index
        # (about 1 ms). Few steps: read them and sort their messages (cheap for a few
        # thousand). Many: walk the log's (created_at) index newest first and probe each
        # message's step by its unique message_id, which fills a page after a few hundred
        # rows; the other plan would sort every matching message for each page (about 100
        # ms per query with 58,000 sent steps at 1,000,000 messages, docs/performance.md).
        if steps[: FEW_STEPS + 1].count() <= FEW_STEPS:
            return queryset.filter(pk__in=steps.values("message_id"))
        return queryset.filter(Exists(steps.filter(message_id=OuterRef("pk"))))


# -- the timeline ------------------------------------------------------------------------


def _when_text(value) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else ""


def step_summary(step: FallbackStep) -> str:
    """Segments, encoding and cost of a sent SMS: "2 segment(s) · GSM-7 · 1.700 VND"."""
    parts = [_("%(segments)s segment(s)") % {"segments": step.segments}]
    if step.encoding:
        parts.append(step.encoding)
    if step.cost is not None:
        parts.append(_("%(cost)s VND") % {"cost": vnd(step.cost)})
    return " · ".join(parts)


def step_reason(step: FallbackStep) -> str:
    """Why the step exists, in words: its reason, and the outcome that set it off."""
    why = str(step.get_reason_display())
    if step.trigger and step.trigger != step.reason:
        # The window's step says it already; a trigger code is no word for an operator.
        why = _("%(reason)s: %(trigger)s") % {"reason": why, "trigger": label(step.trigger)}
    return why


def timeline_entries(message: Message, step: FallbackStep | None, tidy, entry) -> list:
    """The step's story as timeline entries (``entry``: the timeline's Entry class;
    ``tidy``: its masking of secrets and the phone)."""
    if step is None:
        return []
    why = step_reason(step)
    entries = [
        entry(
            at=step.created_at,
            kind="sms",
            label=_("SMS fallback scheduled"),
            status="",
            detail=_("%(why)s; due at %(due)s") % {"why": why, "due": _when_text(step.due_at)},
        )
    ]
    if step.claimed_at:
        entries.append(
            entry(
                at=step.claimed_at,
                kind="sms",
                label=_("SMS claimed by a worker"),
                detail=_("Try %(attempt)s.") % {"attempt": step.attempts},
            )
        )
    if step.status == Status.SENT:
        entries.append(
            entry(
                at=step.sent_at,
                kind="sms",
                label=_("SMS sent"),
                detail=tidy(
                    _("%(provider)s, id %(id)s · %(summary)s. Text: %(text)s")
                    % {
                        "provider": step.provider or "?",
                        "id": step.provider_message_id or "?",
                        "summary": step_summary(step),
                        "text": step.text,
                    }
                ),
                payload=tidy(step.result) or None,
            )
        )
    elif step.status == Status.FAILED:
        entries.append(
            entry(
                at=step.claimed_at or step.due_at,
                kind="sms",
                label=_("SMS failed"),
                detail=tidy(step.error_message),
                payload=tidy(step.result) or None,
            )
        )
    elif step.status == Status.CANCELLED:
        detail = (
            _("Zalo delivered the message before the SMS was due.")
            if message.delivered_at and message.delivered_at <= step.cancelled_at
            else _("The SMS was not needed any more; the note of the same time says why.")
        )
        entries.append(
            entry(at=step.cancelled_at, kind="sms", label=_("SMS cancelled"), detail=detail)
        )
    elif step.error_message:  # scheduled again after a failed try
        entries.append(
            entry(
                at=step.claimed_at or step.created_at,
                kind="sms",
                label=_("SMS try failed, tried again"),
                detail=tidy(step.error_message),
            )
        )
    if step.double_cost:
        entries.append(
            entry(
                at=message.delivered_at or step.sent_at,
                kind="sms",
                label=_("Late receipt: double cost"),
                detail=_(
                    "Zalo delivered the message after the SMS went out: both "
                    "the ZNS message and the SMS are billed."
                ),
            )
        )
    return entries


# -- the CSV -------------------------------------------------------------------------------

#: (column, source) appended to the log's CSV: read through the same LEFT JOIN.
CSV_COLUMNS = [
    ("sms_status", "fallback_step__status"),
    ("sms_reason", "fallback_step__reason"),
    ("sms_sent_at", "fallback_step__sent_at"),
    ("sms_provider_id", "fallback_step__provider_message_id"),
    ("sms_segments", "fallback_step__segments"),
    ("sms_cost", "fallback_step__cost"),
    ("double_cost", "fallback_step__double_cost"),
]


def csv_channel(sms_status: Any) -> str:
    return "ZNS → SMS" if sms_status == Status.SENT else "ZNS"
