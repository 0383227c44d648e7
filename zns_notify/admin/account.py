"""The Zalo account's admin: credentials (never shown), connection state, quota columns and
the OAuth connect button."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _

from zns_notify.account.oauth import can_connect, start
from zns_notify.admin.base import SecretLookupsMixin
from zns_notify.admin.quota import AccountQuotaAdminMixin
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.models import ZaloAccount


@admin.register(ZaloAccount)
class ZaloAccountAdmin(SecretLookupsMixin, AccountQuotaAdminMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "oa_id",
        "is_connected_display",
        "needs_reconnect",
        "access_token_expires_at",
        "is_active",
        *AccountQuotaAdminMixin.quota_columns,
    ]
    # Tokens are secrets: they are not editable fields and never rendered.
    fields = [
        "name",
        "oa_id",
        "is_active",
        "access_token_expires_at",
        "refresh_token_expires_at",
        "needs_reconnect",
        "reconnect_reason",
        "needs_reconnect_since",
        *AccountQuotaAdminMixin.quota_columns,
    ]
    readonly_fields = [
        "access_token_expires_at",
        "refresh_token_expires_at",
        "needs_reconnect",
        "reconnect_reason",
        "needs_reconnect_since",
        *AccountQuotaAdminMixin.quota_columns,
    ]

    #: Never filtered on from the URL, by anyone: ``?access_token__startswith=a``, then
    #: ``ab``… would spell a token out by whether the account is listed.
    secret_paths = (("access_token",), ("refresh_token",))

    @admin.display(description=_("connected"), boolean=True)
    def is_connected_display(self, obj: ZaloAccount) -> bool:
        return obj.is_connected

    def get_urls(self):
        connect = path(
            "connect/",
            self.admin_site.admin_view(self.connect_view),
            name="zns_notify_zaloaccount_connect",
        )
        return [connect, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "zns_can_connect": can_connect(request.user)}
        return super().changelist_view(request, extra_context)

    def connect_view(self, request):
        """POST only: start Zalo's OAuth v4 flow (PKCE); Zalo answers at /zns/oauth/callback/."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not can_connect(request.user):
            raise PermissionDenied
        try:
            return start(request)
        except ZnsConfigurationError as exc:
            self.message_user(
                request, _("Cannot connect: %(error)s") % {"error": exc}, messages.ERROR
            )
            return redirect("admin:zns_notify_zaloaccount_changelist")
