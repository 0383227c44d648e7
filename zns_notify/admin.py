"""Admin pages: the Zalo account, templates (read-only, synced), bindings, the message log."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .admin_quota import AccountQuotaAdminMixin
from .models import Binding, Template, ZaloAccount


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


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = [
        "template_id", "name", "status", "tag", "params_display", "quality", "price",
        "sync_note_display", "synced_at",
    ]
    list_filter = ["status", "tag", ("missing_since", admin.EmptyFieldListFilter)]
    search_fields = ["template_id", "name"]

    def get_readonly_fields(self, request, obj=None):
        # What Zalo knows is shown, not edited: the next sync would overwrite it anyway.
        names = []
        for field in self.model._meta.fields:
            names += ["params_table", field.name] if field.name == "params" else [field.name]
        return names

    @admin.display(description=_("parameters"))
    def params_display(self, obj: Template) -> str:
        return format_html_join(
            ", ", "{} ({})", ((p["name"], _param_limits(p)) for p in obj.params or [])
        )

    @admin.display(description=_("parameter specs"))
    def params_table(self, obj: Template) -> str:
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((p["name"], p.get("type", ""), _yes_no(p.get("require", True)), _param_limits(p),
              _yes_no(p.get("accept_null", False))) for p in obj.params or []),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("name"), _("type"), _("required"), _("length"), _("accepts empty"), rows,
        )

    @admin.display(description=_("sync note"))
    def sync_note_display(self, obj: Template) -> str:
        return obj.sync_note if (obj.missing_since or obj.params_changed_at) else ""

    def has_add_permission(self, request) -> bool:
        return False

    def get_urls(self):
        sync = path(
            "sync/", self.admin_site.admin_view(self.sync_view), name="zns_notify_template_sync"
        )
        return [sync, *super().get_urls()]

    def sync_view(self, request):
        """POST only (it changes data): pull every template from Zalo, then back to the list."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("zns_notify.change_template"):
            raise PermissionDenied
        from .exceptions import ZnsConfigurationError
        from .template_sync import sync_templates
        from .zalo.client import ZaloAPIError

        try:
            report = sync_templates()
        except (ZaloAPIError, ZnsConfigurationError) as exc:
            self.message_user(request, _("Sync failed, nothing changed: %(error)s") % {"error": exc}, messages.ERROR)
        else:
            self.message_user(request, _("Templates synced: %(report)s") % {"report": report})
        return redirect("admin:zns_notify_template_changelist")


class BindingForm(forms.ModelForm):
    """The event is chosen from the events the shop declares (read live from settings)."""

    event = forms.ChoiceField(label=_("event"))

    class Meta:
        model = Binding
        fields = ["name", "event", "template", "params", "is_active", "delay_minutes", "condition"]
        widgets = {"condition": forms.TextInput(attrs={"size": 80})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .conf import app_settings

        choices = [(name, f"{name} — {label}") for name, label in app_settings.EVENTS.items()]
        if self.instance.event and self.instance.event not in app_settings.EVENTS:
            choices.append((self.instance.event, self.instance.event))  # keep a retired event visible
        self.fields["event"].choices = choices
        self.fields["delay_minutes"].required = False  # empty means at once

    def clean_delay_minutes(self) -> int:
        return self.cleaned_data.get("delay_minutes") or 0


def _param_limits(spec: dict) -> str:
    low, high = spec.get("min_length") or 0, spec.get("max_length")
    return f"{low}–{high}" if high else f"≥ {low}"


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


@admin.register(Binding)
class BindingAdmin(admin.ModelAdmin):
    form = BindingForm
    list_display = ["__str__", "event", "template", "is_active", "delay_minutes", "condition",
                    "problems_display", "updated_at"]
    list_filter = ["event", "is_active"]
    list_select_related = ["template"]
    search_fields = ["name", "event", "template__name", "template__template_id"]

    @admin.display(description=_("problems"))
    def problems_display(self, obj: Binding) -> str:
        from .binding_validation import fitness_problems

        problems = fitness_problems(obj) if obj.is_active else []
        return format_html_join(mark_safe("<br>"), "⚠ {}", ((p,) for p in problems))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from .binding_validation import fitness_problems

        binding = self.get_object(request, object_id)
        if request.method == "GET" and binding is not None and binding.is_active:
            for problem in fitness_problems(binding):
                self.message_user(
                    request,
                    _("This binding is not sent: %(problem)s") % {"problem": problem},
                    messages.WARNING,
                )
        return super().change_view(request, object_id, form_url, extra_context)


# The delivery log (the message list, its timeline and the operators' actions).
from . import admin_log  # noqa: E402,F401
# Received webhooks and customers' ratings: read-only pages of their own.
from . import admin_webhooks  # noqa: E402,F401
# Opted-out recipients and the recipient cap's daily counts.
from . import admin_policy  # noqa: E402,F401
