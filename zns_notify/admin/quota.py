"""Admin for the OA's quota ledger and sending holds, shown on the Zalo account's page."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from zns_notify.account import holds
from zns_notify.admin.base import ReadOnlyInline
from zns_notify.admin.quota_page import quota_context
from zns_notify.display.error_text import localized_reason
from zns_notify.lib import clock
from zns_notify.models import SendingHold, ZaloAccount, ZaloQuota

#: Days of the ledger shown on the account page.
LEDGER_DAYS = 7


class ZaloQuotaInline(ReadOnlyInline):
    model = ZaloQuota
    verbose_name_plural = _("daily quota (last 7 days)")
    fields = [
        "day",
        "daily_quota",
        "used_display",
        "remaining_quota",
        "daily_promotion_quota",
        "remaining_promotion_quota",
        "monthly_promotion_quota",
        "remaining_monthly_promotion_quota",
        "updated_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        since = clock.local_day() - dt.timedelta(days=LEDGER_DAYS - 1)
        return super().get_queryset(request).filter(day__gte=since)

    @admin.display(description=_("used"))
    def used_display(self, obj: ZaloQuota):
        return obj.used


class SendingHoldInline(ReadOnlyInline):
    model = SendingHold
    fields = ["active_display", "template", "error_code", "reason_display", "created_at", "until"]
    readonly_fields = fields

    @admin.display(description=_("active"), boolean=True)
    def active_display(self, obj: SendingHold) -> bool:
        return obj.is_active

    @admin.display(description=_("reason"))
    def reason_display(self, obj: SendingHold) -> str:
        return hold_reason(obj)


def hold_reason(hold: SendingHold) -> str:
    """The stored reason with Zalo's description in the operator's language."""
    return localized_reason(hold.error_code, hold.reason)


def release_holds(modeladmin, request, queryset):
    active = SendingHold.objects.filter(until__gt=timezone.now())
    if queryset.model is ZaloAccount:
        active = active.filter(account__in=queryset)
    else:
        active = active.filter(pk__in=queryset.values("pk"))
    count = holds.release(active)
    text = ngettext(
        "%(count)d hold released: its messages are sent again now.",
        "%(count)d holds released: their messages are sent again now.",
        count,
    )
    modeladmin.message_user(request, text % {"count": count}, messages.SUCCESS)


release_holds.short_description = _("Release sending holds now")
release_holds.allowed_permissions = ("change",)


class AccountQuotaAdminMixin:
    """Adds today's quota, the holds and the "release" action to the account admin."""

    inlines = [SendingHoldInline, ZaloQuotaInline]
    actions = [release_holds]
    quota_columns = [
        "daily_quota_display",
        "used_display",
        "remaining_display",
        "hold_display",
        "quota_page_link",
    ]

    def get_urls(self):
        page = path(
            "<path:object_id>/quota/",
            self.admin_site.admin_view(self.quota_view),
            name="zns_notify_zaloaccount_quota",
        )
        return [page, *super().get_urls()]

    @admin.display(description=_("quota page"))
    def quota_page_link(self, obj: ZaloAccount) -> str:
        if obj.pk is None:
            return "—"
        url = reverse("admin:zns_notify_zaloaccount_quota", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Quota and forecast"))

    def quota_view(self, request, object_id):
        """Today's quota, the forecast of when it runs out, and 30 days of the ledger, for
        whoever may view the account."""
        account = self.get_object(request, unquote(object_id))
        if account is None:
            raise Http404(_("No Zalo account with id %(id)s.") % {"id": object_id})
        if not self.has_view_permission(request, account):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": account,
            **quota_context(account),
        }
        return TemplateResponse(request, "admin/zns_notify/zaloaccount/quota.html", context)

    def get_queryset(self, request):
        # Today's ledger row and the active holds come with the accounts: two queries for
        # the whole list instead of two per account row.
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch(
                    "quotas",
                    ZaloQuota.objects.filter(day=clock.local_day()),
                    to_attr="_zns_quotas_today",
                ),
                Prefetch(
                    "holds",
                    SendingHold.objects.filter(until__gt=timezone.now()).order_by("-until"),
                    to_attr="_zns_active_holds",
                ),
            )
        )

    def _today(self, obj: ZaloAccount) -> ZaloQuota | None:
        if not hasattr(obj, "_zns_quotas_today"):  # an account not from get_queryset
            obj._zns_quotas_today = list(obj.quotas.filter(day=clock.local_day()))
        return obj._zns_quotas_today[0] if obj._zns_quotas_today else None

    @admin.display(description=_("daily quota"))
    def daily_quota_display(self, obj: ZaloAccount):
        row = self._today(obj)
        if row is not None and row.unlimited:
            return _("no limit")
        return self._shown(row.daily_quota if row else None)

    @admin.display(description=_("used today"))
    def used_display(self, obj: ZaloAccount):
        row = self._today(obj)
        return self._shown(row.used if row else None)

    @admin.display(description=_("remaining today"))
    def remaining_display(self, obj: ZaloAccount):
        row = self._today(obj)
        if row is not None and row.unlimited:
            return _("no limit")
        return self._shown(row.remaining_quota if row else None)

    def _shown(self, value):
        # The change page's read-only fields print a None as "None" (the list does not).
        return self.get_empty_value_display() if value is None else value

    @admin.display(description=_("sending on hold"))
    def hold_display(self, obj: ZaloAccount) -> str:
        if not hasattr(obj, "_zns_active_holds"):
            obj._zns_active_holds = list(
                obj.holds.filter(until__gt=timezone.now()).order_by("-until")
            )
        active = obj._zns_active_holds
        return (hold_reason(active[0])[:80] or str(active[0])) if active else "—"


@admin.register(SendingHold)
class SendingHoldAdmin(admin.ModelAdmin):
    list_display = ["reason_display", "account", "template", "error_code", "created_at", "until"]
    list_select_related = ["account", "template"]
    actions = [release_holds]
    fields = ["account", "template", "error_code", "reason_display", "created_at", "until"]
    readonly_fields = fields

    @admin.display(description=_("reason"), ordering="reason")
    def reason_display(self, obj: SendingHold) -> str:
        return hold_reason(obj)

    def has_add_permission(self, request) -> bool:
        return False
