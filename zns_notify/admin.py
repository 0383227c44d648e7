"""Admin pages: the Zalo account, templates (read-only, synced), bindings, the message log."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .admin_policy import PolicyDecisionFilter, PolicyMessageAdminMixin
from .admin_quota import AccountQuotaAdminMixin
from .admin_scale import (ErrorCategoryFilter, EventFilter, NoCountPaginator, StatusFilter,
                          TemplateFilter, search_pks)
from .models import Message, MessageEvent, ZaloAccount
from .admin_base import ReadOnlyAdmin, ReadOnlyInline
from .phones import can_see_full_phone, mask, mask_params


@admin.register(ZaloAccount)
class ZaloAccountAdmin(AccountQuotaAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "oa_id", "is_connected_display", "needs_reconnect",
                    "access_token_expires_at", "is_active", *AccountQuotaAdminMixin.quota_columns]
    # Tokens are secrets: they are not editable fields and never rendered.
    fields = ["name", "oa_id", "is_active", "access_token_expires_at", "refresh_token_expires_at",
              "needs_reconnect", "reconnect_reason", "needs_reconnect_since",
              *AccountQuotaAdminMixin.quota_columns]
    readonly_fields = ["access_token_expires_at", "refresh_token_expires_at",
                       "needs_reconnect", "reconnect_reason", "needs_reconnect_since",
                       *AccountQuotaAdminMixin.quota_columns]

    @admin.display(description=_("connected"), boolean=True)
    def is_connected_display(self, obj: ZaloAccount) -> bool:
        return obj.is_connected

    def get_urls(self):
        connect = path(
            "connect/", self.admin_site.admin_view(self.connect_view),
            name="zns_notify_zaloaccount_connect",
        )
        return [connect, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        from .oauth import can_connect

        extra_context = {**(extra_context or {}), "zns_can_connect": can_connect(request.user)}
        return super().changelist_view(request, extra_context)

    def connect_view(self, request):
        """POST only: start Zalo's OAuth v4 flow (PKCE); Zalo answers at /zns/oauth/callback/."""
        from .exceptions import ZnsConfigurationError
        from .oauth import can_connect, start

        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not can_connect(request.user):
            raise PermissionDenied
        try:
            return start(request)
        except ZnsConfigurationError as exc:
            self.message_user(request, _("Cannot connect: %(error)s") % {"error": exc}, messages.ERROR)
            return redirect("admin:zns_notify_zaloaccount_changelist")


class MessageEventInline(ReadOnlyInline):
    model = MessageEvent
    fields = ["at", "kind", "status", "error_code", "detail"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None) -> bool:
        # The timeline is part of the message, not a model of its own to grant: whoever may
        # read the message (an operator with view_message) reads its timeline.
        return request.user.has_perm("zns_notify.view_message")


@admin.register(Message)
class MessageAdmin(PolicyMessageAdminMixin, ReadOnlyAdmin):
    """The log is the shop's proof that a customer was told: never edited by hand."""

    list_display = [
        "created_at", "event", "order_ref", "phone_masked", "zalo_template_id", "status",
        "error_code", "attempts", "sent_at", "delivered_at", "policy_decision",
    ]
    # At a million rows (docs/performance.md): filters with known choices, a date range
    # rather than date_hierarchy (whose year/day links are DISTINCT scans), no COUNT(*).
    list_filter = [StatusFilter, PolicyDecisionFilter, EventFilter, TemplateFilter,
                   ErrorCategoryFilter, ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["template"]
    # Exact matches only, each served by an index (admin_scale.search_pks).
    search_fields = ["=order_ref", "=msg_id", "=idempotency_key", "=phone"]
    search_help_text = _("An order reference, a Zalo msg_id, a tracking id or a phone number.")
    inlines = [MessageEventInline]
    show_full_result_count = False

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        from django.contrib.admin.views.main import PAGE_VAR

        try:
            page = int(request.GET.get(PAGE_VAR, 1))
        except ValueError:
            page = 1
        return NoCountPaginator(queryset, per_page, page, orphans=orphans,
                                allow_empty_first_page=allow_empty_first_page)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        # Searching by phone would tell staff who may not see numbers whether one is there.
        pks = search_pks(search_term, phone_allowed=can_see_full_phone(request))
        return queryset.filter(pk__in=pks), False

    def get_list_display(self, request):
        full = can_see_full_phone(request)
        return ["phone" if full and n == "phone_masked" else n for n in self.list_display]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("phone"), ordering="phone")
    def phone_masked(self, obj: Message) -> str:
        return mask(obj.phone)

    def get_fields(self, request, obj=None):
        # Two read-only renderings rather than state on this shared admin instance, which
        # concurrent requests of differently privileged staff would race on.
        full = can_see_full_phone(request)
        names = [f.name for f in self.model._meta.fields if f.name not in ("id", "phone", "params")]
        return ["phone" if full else "phone_masked", "params_full" if full else "params_masked",
                "policy_decision", *names]

    @admin.display(description=_("rendered parameters"))
    def params_full(self, obj: Message) -> str:
        return _params_html(obj.params or {})

    @admin.display(description=_("rendered parameters"))
    def params_masked(self, obj: Message) -> str:
        # A binding may put the phone number into a parameter: hide it there too.
        return _params_html(mask_params(obj.params or {}, obj.phone))


def _params_html(params: dict) -> str:
    return format_html("<pre>{}</pre>", json.dumps(params, ensure_ascii=False, indent=2))


# Templates as Zalo knows them, and the binding editor (form, preview, send test).
from . import admin_templates  # noqa: E402,F401
from . import admin_bindings  # noqa: E402,F401
# Received webhooks and customers' ratings: read-only pages of their own.
from . import admin_webhooks  # noqa: E402,F401
# Opted-out recipients and the recipient cap's daily counts.
from . import admin_policy  # noqa: E402,F401
# The delivery reports page (its own admin on the aggregates).
from . import admin_reports  # noqa: E402,F401
