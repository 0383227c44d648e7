"""Admin for the OA's quota ledger and sending holds, shown on the Zalo account's page."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, ngettext

from . import quota
from .admin_base import ReadOnlyInline
from .models import SendingHold, ZaloAccount, ZaloQuota

#: Days of the ledger shown on the account page.
LEDGER_DAYS = 7


class ZaloQuotaInline(ReadOnlyInline):
    model = ZaloQuota
    verbose_name_plural = _("daily quota (last 7 days)")
    fields = ["day", "daily_quota", "used_display", "remaining_quota", "daily_promotion_quota",
              "remaining_promotion_quota", "monthly_promotion_quota",
              "remaining_monthly_promotion_quota", "updated_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        since = quota.local_day() - dt.timedelta(days=LEDGER_DAYS - 1)
        return super().get_queryset(request).filter(day__gte=since)

    @admin.display(description=_("used"))
    def used_display(self, obj: ZaloQuota):
        return obj.used


class SendingHoldInline(ReadOnlyInline):
    model = SendingHold
    fields = ["active_display", "template", "error_code", "reason", "created_at", "until"]
    readonly_fields = fields

    @admin.display(description=_("active"), boolean=True)
    def active_display(self, obj: SendingHold) -> bool:
        return obj.is_active


def release_holds(modeladmin, request, queryset):
    holds = SendingHold.objects.filter(until__gt=timezone.now())
    if queryset.model is ZaloAccount:
        holds = holds.filter(account__in=queryset)
    else:
        holds = holds.filter(pk__in=queryset.values("pk"))
    count = quota.release(holds)
    text = ngettext("%(count)d hold released: its messages are sent again now.",
                    "%(count)d holds released: their messages are sent again now.", count)
    modeladmin.message_user(request, text % {"count": count}, messages.SUCCESS)


release_holds.short_description = _("Release sending holds now")
release_holds.allowed_permissions = ("change",)


class AccountQuotaAdminMixin:
    """Adds today's quota, the holds and the "release" action to the account admin."""

    inlines = [SendingHoldInline, ZaloQuotaInline]
    actions = [release_holds]
    quota_columns = ["daily_quota_display", "used_display", "remaining_display", "hold_display"]

    def get_queryset(self, request):
        # Today's ledger row and the active holds come with the accounts: two queries for
        # the whole list instead of two per account row.
        return super().get_queryset(request).prefetch_related(
            Prefetch("quotas", ZaloQuota.objects.filter(day=quota.local_day()),
                     to_attr="_zns_quotas_today"),
            Prefetch("holds", SendingHold.objects.filter(until__gt=timezone.now()).order_by("-until"),
                     to_attr="_zns_active_holds"),
        )

    def _today(self, obj: ZaloAccount) -> ZaloQuota | None:
        if not hasattr(obj, "_zns_quotas_today"):  # an account not from get_queryset
            obj._zns_quotas_today = list(obj.quotas.filter(day=quota.local_day()))
        return obj._zns_quotas_today[0] if obj._zns_quotas_today else None

    @admin.display(description=_("daily quota"))
    def daily_quota_display(self, obj: ZaloAccount):
        row = self._today(obj)
        return row.daily_quota if row else None

    @admin.display(description=_("used today"))
    def used_display(self, obj: ZaloAccount):
        row = self._today(obj)
        return row.used if row else None

    @admin.display(description=_("remaining today"))
    def remaining_display(self, obj: ZaloAccount):
        row = self._today(obj)
        return row.remaining_quota if row else None

    @admin.display(description=_("sending on hold"))
    def hold_display(self, obj: ZaloAccount) -> str:
        if not hasattr(obj, "_zns_active_holds"):
            obj._zns_active_holds = list(obj.holds.filter(until__gt=timezone.now()).order_by("-until"))
        return str(obj._zns_active_holds[0]) if obj._zns_active_holds else "—"


@admin.register(SendingHold)
class SendingHoldAdmin(admin.ModelAdmin):
    list_display = ["reason", "account", "template", "error_code", "created_at", "until"]
    list_select_related = ["account", "template"]
    actions = [release_holds]
    readonly_fields = ["account", "template", "error_code", "reason", "created_at", "until"]

    def has_add_permission(self, request) -> bool:
        return False
