"""Templates as Zalo knows them: read-only (the next sync would overwrite any edit), laid out
for an operator, with "Sync from Zalo" on the list and on each template's page."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zns_notify.admin.binding_form import param_limits
from zns_notify.bindings.template_sync import sync_templates
from zns_notify.display import formats
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.models import Template
from zns_notify.zalo.client import ZaloAPIError

#: Badge colour per status (zns_notify/static/zns_notify/admin.css); unknown ones are grey.
BADGE = {
    Template.Status.ENABLE: "ok",
    Template.Status.PENDING_REVIEW: "wait",
    Template.Status.REJECT: "bad",
    Template.Status.DISABLE: "off",
    Template.Status.DELETE: "bad",
}
#: Zalo's SPEC2 button types (zns-api.md): what each does on the customer's phone.
BUTTON_TYPES = {
    1: _("opens a web page"),
    2: _("calls a phone number"),
    3: _("opens the OA's page"),
    4: _("opens a Mini App"),
    5: _("downloads an app"),
    6: _("shows a product"),
    7: _("opens an external site or Mini App"),
    8: _("opens an external app"),
    9: _("opens an OA article"),
    10: _("copies a text"),
    11: _("pays at once"),
    12: _("shows details"),
}


def status_badge(template: Template) -> str:
    missing = template.missing_since is not None
    label = gettext("Missing from Zalo") if missing else template.get_status_display()
    kind = "bad" if missing else BADGE.get(template.status, "off")
    return format_html('<span class="zns-badge zns-badge-{}">{}</span>', kind, label)


def _yes_no(value: bool) -> str:
    return gettext("yes") if value else gettext("no")


def _price(value) -> str:
    """As the reports write money: ``1.250 ₫`` in Vietnamese, ``1,250 VND`` in English."""
    return formats.money(value)


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    change_form_template = "admin/zns_notify/template/change_form.html"
    # Four columns, each holding what belongs together, so the list fits a 1400 px window
    # beside the admin's menu and filters without scrolling sideways (in Vietnamese too).
    # No "last synced" column: one sync updates every row alike, the page shows it.
    list_display = ["template_display", "state_display", "params_display", "quality_price_display"]
    list_filter = ["status", "tag", ("missing_since", admin.EmptyFieldListFilter)]
    search_fields = ["template_id", "name"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "template_id",
                    "name",
                    "status_display",
                    "reason",
                    "tag",
                    "zalo_tag",
                    "quality",
                    "price_display",
                    "price_uid_display",
                    "timeout_display",
                    "preview_link",
                ]
            },
        ),
        (
            _("Parameters"),
            {
                "fields": ["params_table"],
                "description": _(
                    "What each parameter may hold: a message whose value "
                    "breaks a limit is not sent."
                ),
            },
        ),
        (_("Buttons"), {"fields": ["buttons_table"]}),
        (_("Sync"), {"fields": ["synced_at", "missing_since", "params_changed_at", "sync_note"]}),
    ]

    class Media:
        css = {"all": ["zns_notify/admin.css"]}

    def get_readonly_fields(self, request, obj=None):
        # What Zalo knows is shown, not edited: the next sync would overwrite it anyway.
        return [name for _title, options in self.fieldsets for name in options["fields"]]

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj: Template) -> str:
        return status_badge(obj)

    # -- the list's combined columns ---------------------------------------------------------

    @admin.display(description=_("template"), ordering="template_id")
    def template_display(self, obj: Template) -> str:
        """Zalo's id (the link to the page) over the name."""
        return format_html(
            '<span class="zns-template-id">{}</span>'
            '<span class="zns-sub zns-template-name">{}</span>',
            obj.template_id,
            obj.name,
        )

    @admin.display(description=_("status and tag"), ordering="status")
    def state_display(self, obj: Template) -> str:
        """The badge, the tag under it, and the sync's note when the sync changed something."""
        note = self.sync_note_display(obj)
        return format_html(
            '{}<span class="zns-sub">{}</span>{}',
            status_badge(obj),
            obj.tag or "—",
            format_html('<span class="zns-sub zns-sync-note">{}</span>', note) if note else "",
        )

    @admin.display(description=_("quality and price (VND)"), ordering="price")
    def quality_price_display(self, obj: Template) -> str:
        return format_html(
            '{}<span class="zns-sub">{}</span>', obj.quality or "—", _price(obj.price)
        )

    @admin.display(description=_("price (VND)"), ordering="price")
    def price_display(self, obj: Template) -> str:
        return _price(obj.price)

    @admin.display(description=Template._meta.get_field("timeout_ms").verbose_name)
    def timeout_display(self, obj: Template) -> str:
        return formats.number(obj.timeout_ms)

    @admin.display(description=_("price by Zalo user id (VND)"))
    def price_uid_display(self, obj: Template) -> str:
        return _price(obj.price_uid)

    @admin.display(description=_("Zalo's preview"))
    def preview_link(self, obj: Template) -> str:
        if not obj.preview_url:
            return "—"
        if urlsplit(obj.preview_url.strip()).scheme.lower() not in ("http", "https"):
            # The address comes from Zalo's API: a javascript: or data: link would run in
            # the admin's origin. Shown as text, not followed.
            return obj.preview_url
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>',
            obj.preview_url,
            gettext("Open Zalo's preview (new tab)"),
        )

    @admin.display(description=_("parameters"))
    def params_display(self, obj: Template) -> str:
        # One per line, never broken inside: "order_code (0–30)" wrapped mid-word made
        # the list hard to read.
        return format_html_join(
            "",
            '<span class="zns-param-spec">{} <small>({})</small></span>',
            ((p["name"], param_limits(p)) for p in obj.params or []),
        )

    @admin.display(description=_("parameter specs"))
    def params_table(self, obj: Template) -> str:
        if not obj.params:
            return gettext("None (or not synced yet).")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    p["name"],
                    p.get("type", ""),
                    _yes_no(p.get("require", True)),
                    param_limits(p),
                    _yes_no(p.get("accept_null", False)),
                )
                for p in obj.params or []
            ),
        )
        return format_html(
            '<table class="zns-specs"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("name"),
            _("type"),
            _("required"),
            _("length"),
            _("accepts empty"),
            rows,
        )

    @admin.display(description=_("buttons"))
    def buttons_table(self, obj: Template) -> str:
        buttons = [b for b in obj.buttons or [] if isinstance(b, dict)]
        if not buttons:
            return gettext("None.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    b.get("title", ""),
                    BUTTON_TYPES.get(_int(b.get("type")), b.get("type", "")),
                    b.get("content", ""),
                )
                for b in buttons
            ),
        )
        return format_html(
            '<table class="zns-specs"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            _("title"),
            _("action"),
            _("target"),
            rows,
        )

    @admin.display(description=_("sync note"))
    def sync_note_display(self, obj: Template) -> str:
        return obj.sync_note if (obj.missing_since or obj.params_changed_at) else ""

    def has_add_permission(self, request) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "zns_can_sync": request.user.has_perm("zns_notify.change_template"),
        }
        return super().changelist_view(request, extra_context)

    def render_change_form(self, request, context, *args, **kwargs):
        context["zns_can_sync"] = request.user.has_perm("zns_notify.change_template")
        return super().render_change_form(request, context, *args, **kwargs)

    def get_urls(self):
        sync = path(
            "sync/", self.admin_site.admin_view(self.sync_view), name="zns_notify_template_sync"
        )
        return [sync, *super().get_urls()]

    def sync_view(self, request):
        """POST only (it changes data): pull every template from Zalo, then back to the page
        the button was on (the list, or a template's page)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("zns_notify.change_template"):
            raise PermissionDenied
        try:
            report = sync_templates()
        except (ZaloAPIError, ZnsConfigurationError) as exc:
            self.message_user(
                request,
                _("Sync failed, nothing changed: %(error)s") % {"error": exc},
                messages.ERROR,
            )
        else:
            self.message_user(request, _("Templates synced: %(report)s") % {"report": report})
        back = request.POST.get("next", "")
        if back and url_has_allowed_host_and_scheme(
            back, {request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(back)
        return redirect("admin:zns_notify_template_changelist")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
