"""The delivery log's detail page (docs/operators/delivery-log.md): one message's fields,
its rendered parameters, its SMS fallback step, and the whole timeline of attempts,
receipts and operators' actions (:mod:`zns_notify.log.timeline`). Each part comes in two
renderings, with and without the full phone number.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zns_notify.admin.log_format import status_badge, status_label, when
from zns_notify.admin.log_journey import can_see_costs, journey_html
from zns_notify.display.error_text import localized_reason
from zns_notify.display.secrets import shown_params
from zns_notify.lib.phones import can_see_full_phone, mask_params
from zns_notify.log.fallback import channel_html, step_of, step_reason, step_summary
from zns_notify.log.timeline import clean, payload_text, timeline
from zns_notify.models import Message
from zns_notify.models.error_categories import POLICY


class MessageDetailMixin:
    """The detail page of :class:`zns_notify.admin.log.MessageAdmin`: its fieldsets, all
    read-only. Some fields are the list's columns (``status_display``, ``order_display``,
    ``error_display``…), which the admin class itself defines."""

    def get_fieldsets(self, request, obj=None):
        # Two read-only renderings rather than state on this shared admin instance, which
        # concurrent requests of differently privileged staff would race on.
        full = can_see_full_phone(request)
        policy = ["policy_decision"] if obj is not None and obj.error_category == POLICY else []
        journey_field = "journey_costs" if can_see_costs(request) else "journey_display"
        return [
            (
                None,
                {
                    "fields": [
                        "status_display",
                        *policy,
                        "event",
                        "template_display",
                        "order_display",
                        "phone" if full else "phone_masked",
                        "idempotency_key",
                        "msg_id",
                        "development_mode",
                    ]
                },
            ),
            (
                _("Outcome"),
                {
                    "fields": [
                        "error_full" if full else "error_display",
                        "attempts",
                        "ambiguous_sends",
                        "next_attempt_at",
                        "created_at",
                        "sent_at",
                        "delivered_at",
                    ]
                },
            ),
            (_("Rendered parameters"), {"fields": ["params_full" if full else "params_masked"]}),
            *(
                [(_("SMS fallback"), {"fields": ["sms_full" if full else "sms_masked"]})]
                if obj is not None and step_of(obj) is not None
                else []
            ),
            *(
                [(pgettext_lazy("fieldset", "ZNS Journey"), {"fields": [journey_field]})]
                if obj is not None and (obj.journey_type or obj.journey_id)
                else []
            ),
            (
                _("Timeline"),
                {
                    "fields": ["timeline_full" if full else "timeline_masked"],
                    "classes": ["zns-timeline-fieldset"],
                },
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        return [
            name
            for _title, options in self.get_fieldsets(request, obj)
            for name in options["fields"]
        ]

    @admin.display(description=_("rendered parameters"))
    def params_full(self, obj: Message) -> str:
        return _params_html(shown_params(obj, obj.params or {}))

    @admin.display(description=_("rendered parameters"))
    def params_masked(self, obj: Message) -> str:
        # A binding may put the phone number into a parameter: hide it there too.
        return _params_html(shown_params(obj, mask_params(obj.params or {}, obj.phone)))

    @admin.display(description=_("SMS fallback"))
    def sms_full(self, obj: Message) -> str:
        return _sms_html(obj, full_phone=True)

    @admin.display(description=_("SMS fallback"))
    def sms_masked(self, obj: Message) -> str:
        return _sms_html(obj, full_phone=False)

    @admin.display(description=_("journey"))
    def journey_display(self, obj: Message) -> str:
        return journey_html(obj, costs=False)

    @admin.display(description=_("journey"))
    def journey_costs(self, obj: Message) -> str:
        return journey_html(obj, costs=True)

    @admin.display(description=_("timeline"))
    def timeline_full(self, obj: Message) -> str:
        return _timeline_html(obj, full_phone=True)

    @admin.display(description=_("timeline"))
    def timeline_masked(self, obj: Message) -> str:
        return _timeline_html(obj, full_phone=False)


def _params_html(params: dict) -> str:
    return format_html("<pre>{}</pre>", json.dumps(params, ensure_ascii=False, indent=2))


def _sms_html(message: Message, *, full_phone: bool) -> str:
    """The step at a glance: channel, status, why, when, what the provider said, the text."""
    step = step_of(message)
    if step is None:
        return ""
    why = step_reason(step)
    rows = [
        (_("channel"), channel_html(message)),
        (_("status"), status_badge(step.status, step.get_status_display())),
        (_("reason"), why),
        (_("due at"), when(step.due_at, "DATETIME_FORMAT")),
        (_("sent at"), when(step.sent_at, "DATETIME_FORMAT")),
        (_("provider"), " · ".join(v for v in (step.provider, step.provider_message_id) if v)),
        (_("segments and cost"), step_summary(step) if step.status == step.Status.SENT else ""),
        (_("attempts"), step.attempts),
        (_("error"), clean(step.error_message, message.phone, full_phone=full_phone)),
        (_("SMS text"), clean(step.text, message.phone, full_phone=full_phone)),
    ]
    return format_html(
        '<table class="zns-sms-step">{}</table>',
        format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td></tr>",
            ((capfirst(label), value) for label, value in rows if value not in ("", None)),
        ),
    )


def _timeline_html(message: Message, *, full_phone: bool) -> str:
    rows = []
    for entry in timeline(message, full_phone=full_phone):
        rows.append(
            format_html(
                '<li class="zns-entry zns-entry--{}"><div class="zns-entry-head">'
                '<time datetime="{}" title="{}">{}</time> <strong>{}</strong> {} {}</div>{}{}</li>',
                # The admin's own date format, and to the second on hover (attempts and their
                # receipts are often seconds apart).
                entry.kind,
                _iso(entry.at),
                _iso(entry.at),
                when(entry.at, "DATETIME_FORMAT") if entry.at else "",
                entry.label,
                status_badge(entry.status, status_label(entry.status)) if entry.status else "",
                format_html('<span class="zns-code">{}</span>', entry.error_code)
                if entry.error_code is not None
                else "",
                _entry_detail(entry),
                _entry_payload(entry),
            )
        )
    return format_html(
        '<ol class="zns-timeline">{}</ol>', format_html_join("", "{}", ((row,) for row in rows))
    )


def _iso(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def _entry_detail(entry) -> str:
    link = ""
    if entry.linked_pk:
        link = format_html(
            ' <a href="{}">#{}</a>',
            reverse("admin:zns_notify_message_change", args=[entry.linked_pk]),
            entry.linked_pk,
        )
    if not (entry.detail or link):
        return ""
    return format_html(
        '<div class="zns-entry-detail">{}{}</div>',
        localized_reason(entry.error_code, entry.detail),
        link,
    )


def _entry_payload(entry) -> str:
    payload = entry.payload
    if payload is None:
        return ""
    if entry.kind == "attempt" and isinstance(payload, dict) and "request" in payload:
        return format_html(
            '<div class="zns-payload"><div><div class="zns-payload-title">{}</div><pre>{}</pre>'
            '</div><div><div class="zns-payload-title">{}</div><pre>{}</pre></div></div>',
            _("Request to Zalo"),
            payload_text(payload.get("request")),
            _("Zalo's answer"),
            payload_text(payload.get("answer"))
            if payload.get("answer") is not None
            else _("(no answer)"),
        )
    return format_html(
        '<details class="zns-payload-details"><summary>{}</summary><pre>{}</pre></details>',
        _("Received data"),
        payload_text(payload),
    )
