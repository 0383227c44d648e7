"""The delivery log's admin (docs/operators/delivery-log.md): a list that reads at a glance
(status badges, template, order linked to the shop's own admin, masked phone, error), a
detail page with the whole timeline, and the operators' actions: resend, cancel, export.

What keeps it fast at a million rows lives in :mod:`zns_notify.admin.scale`; every column
here is read from the row itself or its template (``list_select_related``): no query per
row.
"""

from __future__ import annotations

import json
from functools import lru_cache

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import quote, unquote
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from zns_notify.admin.base import PhoneLookupsMixin, ReadOnlyAdmin
from zns_notify.admin.policy import PolicyDecisionFilter, PolicyMessageAdminMixin
from zns_notify.admin.scale import (
    ErrorCategoryFilter,
    EventFilter,
    NoCountPaginator,
    StatusFilter,
    TemplateFilter,
    search_pks,
)
from zns_notify.display.error_categories import label as error_category_label
from zns_notify.display.error_text import localized_reason
from zns_notify.lib.phones import can_see_full_phone, mask, mask_params
from zns_notify.log import actions as log_actions
from zns_notify.log.export import csv_response
from zns_notify.log.fallback import FallbackStatusFilter, channel_html, step_of, step_summary
from zns_notify.log.timeline import payload_text, timeline
from zns_notify.models import Message, WebhookEvent
from zns_notify.models.error_categories import POLICY

#: Actions that need more than reading the log, with the permission each needs.
GATED_ACTIONS = {
    "resend_selected": log_actions.RESEND_PERMISSION,
    "cancel_selected": log_actions.CANCEL_PERMISSION,
}


def when(value, fmt: str = "SHORT_DATETIME_FORMAT") -> str:
    """A timestamp in the active language's format (vi: ``14:05 22-11-2026``), local time."""
    return date_format(timezone.localtime(value), fmt) if value else ""


def status_badge(status: str, label) -> str:
    return format_html('<span class="zns-badge zns-badge--{}">{}</span>', status, label)


def order_admin_url(site: admin.AdminSite, order_type: str, order_pk: str) -> str | None:
    """The shop's admin page for the order, when its model is registered there (no query).
    None for ``api.order`` (events reported through the API name no model) and for models
    the admin does not show."""
    if not order_pk:
        return None
    pattern = _order_url_pattern(site, order_type)
    return pattern.replace(_PK_PLACEHOLDER, quote(order_pk)) if pattern else None


_PK_PLACEHOLDER = "__zns_order_pk__"


@lru_cache(maxsize=64)
def _order_url_pattern(site: admin.AdminSite, order_type: str) -> str | None:
    # Cached: the admin's registry is complete once URLs are served; a page of a hundred
    # rows then costs a string replace each instead of a model look-up and a reverse().
    if not order_type:
        return None
    try:
        model = apps.get_model(order_type)
    except (LookupError, ValueError):
        return None
    if not site.is_registered(model):
        return None
    meta = model._meta
    try:
        return reverse(
            f"{site.name}:{meta.app_label}_{meta.model_name}_change", args=[_PK_PLACEHOLDER]
        )
    except NoReverseMatch:
        return None


@lru_cache(maxsize=16)
def _status_labels(language: str | None) -> dict[str, str]:
    """The statuses' labels in one language (get_status_display hashes every lazy label
    of the choices for each row); a webhook's outcome on the timeline too (no code is
    both)."""
    return {
        value: str(label)
        for value, label in [*Message.Status.choices, *WebhookEvent.Outcome.choices]
    }


def status_label(status: str) -> str:
    return _status_labels(get_language()).get(status, status)


@admin.register(Message)
class MessageAdmin(PhoneLookupsMixin, PolicyMessageAdminMixin, ReadOnlyAdmin):
    """The log is the shop's proof that a customer was told: never edited by hand; an
    operator may resend a finished message as a new one, or cancel one still waiting."""

    # A binding may put the number into a parameter (hence mask_params).
    phone_fields = ("phone", "params")

    list_display = [
        "created_display",
        "status_display",
        "channel_display",
        "notification_display",
        "recipient_masked",
        "error_display",
    ]
    # At a million rows (docs/performance.md): filters with known choices, a date range
    # rather than date_hierarchy (whose year/day links are DISTINCT scans), no COUNT(*).
    list_filter = [
        StatusFilter,
        PolicyDecisionFilter,
        FallbackStatusFilter,
        EventFilter,
        TemplateFilter,
        ErrorCategoryFilter,
        ("created_at", admin.DateFieldListFilter),
    ]
    # The SMS step through its unique message_id: the channel column costs no query per row.
    list_select_related = ["template", "fallback_step"]
    # Exact matches only, each served by an index (admin_scale.search_pks).
    search_fields = ["=order_ref", "=msg_id", "=idempotency_key", "=phone"]
    search_help_text = _("An order reference, a Zalo msg_id, a tracking id or a phone number.")
    show_full_result_count = False
    actions = ["export_selected", "resend_selected", "cancel_selected"]

    class Media:
        css = {"all": ["zns_notify/admin/log.css"]}

    # -- permissions ---------------------------------------------------------------------

    # Each with view_message too, as the API asks (docs/permissions.md): a user cannot do
    # through the admin what the API refuses, nor act on messages they may not read.
    def has_resend_permission(self, request) -> bool:
        return self.has_view_permission(request) and request.user.has_perm(
            log_actions.RESEND_PERMISSION
        )

    def has_cancel_permission(self, request) -> bool:
        return self.has_view_permission(request) and request.user.has_perm(
            log_actions.CANCEL_PERMISSION
        )

    # -- the list --------------------------------------------------------------------------

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        from django.contrib.admin.views.main import PAGE_VAR

        try:
            page = int(request.GET.get(PAGE_VAR, 1))
        except ValueError:
            page = 1
        return NoCountPaginator(
            queryset, per_page, page, orphans=orphans, allow_empty_first_page=allow_empty_first_page
        )

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        # Searching by phone would tell staff who may not see numbers whether one is there.
        pks = search_pks(search_term, phone_allowed=can_see_full_phone(request))
        return queryset.filter(pk__in=pks), False

    def get_list_display(self, request):
        full = can_see_full_phone(request)
        return [
            "recipient_full" if full and n == "recipient_masked" else n for n in self.list_display
        ]

    @admin.display(description=_("created"), ordering="created_at")
    def created_display(self, obj: Message) -> str:
        return when(obj.created_at)

    @admin.display(description=_("status"))
    def status_display(self, obj: Message) -> str:
        badge = status_badge(obj.status, status_label(obj.status))
        notes = []
        # When it got there: the list's other timestamps, under the status they explain.
        if obj.delivered_at:
            notes.append(_timed(_("delivered %(at)s"), obj.delivered_at))
        elif obj.sent_at:
            notes.append(_timed(_("sent %(at)s"), obj.sent_at))
        if obj.status == Message.Status.QUEUED and obj.next_attempt_at:
            text = (
                _("deferred until %(until)s")
                if obj.error_category == POLICY
                else _("next try %(until)s")
            )
            notes.append(_timed(text, obj.next_attempt_at, "until"))
        if obj.attempts > 1:
            notes.append(_("%(count)s attempts") % {"count": obj.attempts})
        if obj.resent_from_id:
            notes.append(
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("admin:zns_notify_message_change", args=[obj.resent_from_id]),
                    _("↻ copy of #%(pk)s") % {"pk": obj.resent_from_id},
                )
            )
        if not notes:
            return badge
        return format_html(
            "{}{}",
            badge,
            format_html_join("", '<div class="zns-note">{}</div>', ((note,) for note in notes)),
        )

    @admin.display(description=_("channel"))
    def channel_display(self, obj: Message) -> str:
        return channel_html(obj)

    @admin.display(description=_("event and template"))
    def notification_display(self, obj: Message) -> str:
        name = obj.template.name if obj.template_id and obj.template else ""
        template = f"{name} · {obj.zalo_template_id}" if name else obj.zalo_template_id
        return format_html(
            '{}<div class="zns-note zns-nowrap" title="{}">{}</div>', obj.event, template, template
        )

    @admin.display(description=_("template"))
    def template_display(self, obj: Message) -> str:
        name = obj.template.name if obj.template_id and obj.template else ""
        if not name:
            return obj.zalo_template_id
        return format_html('{}<div class="zns-note">{}</div>', name, obj.zalo_template_id)

    @admin.display(description=_("order"))
    def order_display(self, obj: Message) -> str:
        label = obj.order_ref or obj.order_pk
        url = order_admin_url(self.admin_site, obj.order_type, obj.order_pk)
        return format_html('<a href="{}">{}</a>', url, label) if url else label

    @admin.display(description=_("phone"), ordering="phone")
    def phone_masked(self, obj: Message) -> str:
        return mask(obj.phone)

    @admin.display(description=_("order and phone"))
    def recipient_masked(self, obj: Message) -> str:
        return format_html(
            '{}<div class="zns-note">{}</div>', self.order_display(obj), mask(obj.phone)
        )

    @admin.display(description=_("order and phone"))
    def recipient_full(self, obj: Message) -> str:
        return format_html('{}<div class="zns-note">{}</div>', self.order_display(obj), obj.phone)

    @admin.display(description=_("error"))
    def error_display(self, obj: Message) -> str:
        if not (obj.error_category or obj.error_code is not None):
            return ""
        code = (
            ""
            if obj.error_code is None
            else format_html(' <span class="zns-code">{}</span>', obj.error_code)
        )
        # The category's name in the operator's language (its stored code, the filter's and
        # the API's value, stays in a data attribute for scripts and tests); the reason in the
        # operator's language where Zalo's code is known (zns_notify.display.error_text), whole on
        # hover of the shortened one.
        reason = localized_reason(obj.error_code, obj.error_message)
        return format_html(
            '<span class="zns-category" data-category="{}">{}</span>{}'
            '<div class="zns-note zns-reason" title="{}">{}</div>',
            obj.error_category,
            error_category_label(obj.error_category),
            code,
            reason,
            _truncate(reason),
        )

    # -- the detail page ---------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        # Two read-only renderings rather than state on this shared admin instance, which
        # concurrent requests of differently privileged staff would race on.
        full = can_see_full_phone(request)
        policy = ["policy_decision"] if obj is not None and obj.error_category == POLICY else []
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
                        "error_display",
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
        return _params_html(obj.params or {})

    @admin.display(description=_("rendered parameters"))
    def params_masked(self, obj: Message) -> str:
        # A binding may put the phone number into a parameter: hide it there too.
        return _params_html(mask_params(obj.params or {}, obj.phone))

    @admin.display(description=_("SMS fallback"))
    def sms_full(self, obj: Message) -> str:
        return _sms_html(obj, full_phone=True)

    @admin.display(description=_("SMS fallback"))
    def sms_masked(self, obj: Message) -> str:
        return _sms_html(obj, full_phone=False)

    @admin.display(description=_("timeline"))
    def timeline_full(self, obj: Message) -> str:
        return _timeline_html(obj, full_phone=True)

    @admin.display(description=_("timeline"))
    def timeline_masked(self, obj: Message) -> str:
        return _timeline_html(obj, full_phone=False)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        message = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), **self._buttons(request, message)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _buttons(self, request, message: Message | None) -> dict:
        if message is None:
            return {}
        return {
            "zns_can_resend": self.has_resend_permission(request) and message.is_final,
            "zns_can_cancel": (
                self.has_cancel_permission(request) and message.status == log_actions.WAITING
            ),
        }

    # -- extra views: export, resend and cancel one message --------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("export/", view(self.export_view), name="zns_notify_message_export"),
            path(
                "<path:object_id>/resend/", view(self.resend_view), name="zns_notify_message_resend"
            ),
            path(
                "<path:object_id>/cancel/", view(self.cancel_view), name="zns_notify_message_cancel"
            ),
            *super().get_urls(),
        ]

    def export_view(self, request):
        """The whole list as filtered and searched now, as CSV (streamed)."""
        if not self.has_view_permission(request):
            return self._refuse(
                request, _("You need the permission to view the message log to export it."), None
            )
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return self._refuse(
                request, _("These filters are not valid; nothing was exported."), None
            )
        return csv_response(changelist.queryset, full_phone=can_see_full_phone(request))

    def resend_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_resend_permission(request):
            return self._refuse(
                request,
                _("You need the permission “Can resend messages” to resend a message."),
                self._readable(request, object_id),
            )
        message = self._message(request, object_id)
        try:
            copy = log_actions.resend(message, request.user)
        except log_actions.Refused as exc:
            return self._refuse(request, str(exc), message)
        self.message_user(
            request,
            _("Message #%(pk)s was resent as message #%(copy)s.")
            % {"pk": message.pk, "copy": copy.pk},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._change_url(copy.pk))

    def cancel_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_cancel_permission(request):
            return self._refuse(
                request,
                _("You need the permission “Can cancel waiting messages” to cancel a message."),
                self._readable(request, object_id),
            )
        message = self._message(request, object_id)
        try:
            done = log_actions.cancel(message, request.user)
        except log_actions.Refused as exc:
            return self._refuse(request, str(exc), message)
        if not done:
            return self._refuse(
                request,
                _("Message #%(pk)s was picked up by a worker before it could be cancelled.")
                % {"pk": message.pk},
                message,
            )
        self.message_user(
            request, _("Message #%(pk)s was cancelled.") % {"pk": message.pk}, messages.SUCCESS
        )
        return HttpResponseRedirect(self._change_url(message.pk))

    def _message(self, request, object_id) -> Message:
        # get_object answers None for an id that is not one (a typed URL), not a 500.
        message = self.get_object(request, unquote(object_id))
        if message is None:
            raise Http404(_("No message with this id."))
        return message

    def _readable(self, request, object_id) -> Message | None:
        """The message to return to after a refusal, for a reader of the log only: to
        anyone else the answer must not tell whether the id exists."""
        if not self.has_view_permission(request):
            return None
        return self._message(request, object_id)

    def _refuse(self, request, text: str, message: Message | None):
        self.message_user(request, text, messages.ERROR)
        if message is not None:
            return HttpResponseRedirect(self._change_url(message.pk))
        if self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:zns_notify_message_changelist"))
        return HttpResponseRedirect(reverse("admin:index"))  # where the message can be read

    def _change_url(self, pk: int) -> str:
        return reverse("admin:zns_notify_message_change", args=[pk])

    # -- actions -----------------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        action = request.POST.get("action") if request.method == "POST" else None
        needed = GATED_ACTIONS.get(action)
        if needed and not request.user.has_perm(needed):
            # Django would only say "No action selected": say what is missing.
            self.message_user(
                request,
                _(
                    "You do not have the permission this action needs "
                    "(%(permission)s); nothing was changed."
                )
                % {"permission": needed},
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Export the selected messages to CSV"), permissions=["view"])
    def export_selected(self, request, queryset):
        return csv_response(queryset, full_phone=can_see_full_phone(request))

    @admin.action(description=_("Resend the selected messages"), permissions=["resend"])
    def resend_selected(self, request, queryset):
        chosen = list(queryset.order_by("pk")[: log_actions.MAX_RESEND + 1])
        if len(chosen) > log_actions.MAX_RESEND:
            self.message_user(
                request,
                _("Resend at most %(max)s messages at a time; nothing was resent.")
                % {"max": log_actions.MAX_RESEND},
                messages.ERROR,
            )
            return None
        copies, refusals = [], []
        for message in chosen:
            try:
                copies.append(log_actions.resend(message, request.user))
            except log_actions.Refused as exc:
                refusals.append(str(exc))
        if copies:
            self.message_user(
                request,
                ngettext(
                    "%(count)s message was resent.", "%(count)s messages were resent.", len(copies)
                )
                % {"count": len(copies)},
                messages.SUCCESS,
            )
        for refusal in refusals:
            self.message_user(request, refusal, messages.ERROR)
        return None

    @admin.action(description=_("Cancel the selected waiting messages"), permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        report = log_actions.cancel_many(queryset, request.user)
        if report.cancelled:
            self.message_user(
                request,
                ngettext(
                    "%(count)s message was cancelled.",
                    "%(count)s messages were cancelled.",
                    len(report.cancelled),
                )
                % {"count": len(report.cancelled)},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _(
                    "Nothing was cancelled: only messages still waiting to be sent (queued or "
                    "deferred) can be cancelled."
                ),
                messages.ERROR,
            )
        for refusal in report.refused.values():
            self.message_user(request, refusal, messages.WARNING)
        return None


def _timed(text, value, name: str = "at") -> str:
    """A translated note around a timestamp that never breaks inside the timestamp."""
    stamp = format_html('<span class="zns-when">{}</span>', when(value))
    return mark_safe(conditional_escape(str(text)) % {name: stamp})


def _truncate(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _params_html(params: dict) -> str:
    return format_html("<pre>{}</pre>", json.dumps(params, ensure_ascii=False, indent=2))


def _sms_html(message: Message, *, full_phone: bool) -> str:
    """The step at a glance: channel, status, why, when, what the provider said, the text."""
    from zns_notify.log.timeline import clean

    step = step_of(message)
    if step is None:
        return ""
    why = step.get_reason_display() + (f" ({step.trigger})" if step.trigger else "")
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
