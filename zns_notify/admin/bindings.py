"""The binding admin: a form with one field per template param, a live preview of the
message as the customer's phone shows it, "Send test" in development mode, duplication.

The editor's three JSON views live under the binding admin's URLs:

- ``param-fields/?template=<pk>``: the params fieldset for another template (GET, view);
- ``preview/``: the posted form rendered against an order or sample data (POST, view);
- ``send-test/``: the same, queued as a development-mode message (POST, change).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, JsonResponse
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from zns_notify.admin.binding_form import (
    PREVIEW_ORDER,
    BindingForm,
    is_pk,
    no_order_error,
    param_field_name,
    params_fieldset,
)
from zns_notify.admin.binding_journey import JOURNEY_FIELDSET
from zns_notify.bindings import dev_send, order_checks
from zns_notify.bindings import preview as binding_preview
from zns_notify.bindings.validation import fitness_problems
from zns_notify.exceptions import ZnsInvalidPhone
from zns_notify.fallback.preview import sms_preview
from zns_notify.lib.phones import can_see_full_phone, mask_params, normalize_phone
from zns_notify.models import Binding, ZaloAccount
from zns_notify.rendering.filters import zns_datetime
from zns_notify.rendering.order_data import read_order

NAME_MAX = Binding._meta.get_field("name").max_length


def copy_name(binding: Binding) -> str:
    return (gettext("Copy of %(name)s") % {"name": binding})[:NAME_MAX]


def duplicate(binding: Binding) -> Binding:
    """An inactive copy: the original still sends, the copy waits to be switched on, so no
    event is ever sent twice by accident."""
    return Binding.objects.create(
        name=copy_name(binding),
        event=binding.event,
        template=binding.template,
        params=dict(binding.params or {}),
        is_active=False,
        delay_minutes=binding.delay_minutes,
        condition=binding.condition,
        sms_enabled=binding.sms_enabled,
        sms_text=binding.sms_text,
        sms_window_minutes=binding.sms_window_minutes,
        sms_triggers=list(binding.sms_triggers or []),
        journey_type=binding.journey_type,
    )


@admin.register(Binding)
class BindingAdmin(admin.ModelAdmin):
    form = BindingForm
    change_form_template = "admin/zns_notify/binding/change_form.html"
    list_display = [
        "__str__",
        "event",
        "template",
        "is_active",
        "delay_minutes",
        "condition",
        "problems_display",
        "updated_at",
    ]
    list_filter = ["event", "is_active"]
    list_select_related = ["template"]
    search_fields = ["name", "event", "template__name", "template__template_id"]
    actions = ["duplicate_selected"]
    save_as = True
    fieldsets = [
        (None, {"fields": ["name", "event", "template"]}),
        (
            _("When it is sent"),
            {
                "fields": ["is_active", "delay_minutes", "condition"],
                "description": _(
                    "An inactive binding sends nothing. The delay and the condition "
                    "are the shop's policy (see the operator's guide)."
                ),
            },
        ),
        (
            _("SMS fallback"),
            {
                "fields": ["sms_enabled", "sms_text", "sms_window_minutes", "sms_triggers"],
                "classes": ["zns-sms"],
                "description": _(
                    "When Zalo cannot deliver the message, this text goes out as an "
                    "SMS instead: never both, except when Zalo's receipt comes after "
                    "the SMS (double cost). An SMS costs about three ZNS messages: "
                    "the preview shows its segments and cost."
                ),
            },
        ),
        JOURNEY_FIELDSET,
    ]

    class Media:
        css = {"all": ["zns_notify/phone.css", "zns_notify/binding_editor.css"]}
        js = ["zns_notify/binding_editor.js"]

    @admin.display(description=_("problems"))
    def problems_display(self, obj: Binding) -> str:
        problems = fitness_problems(obj) if obj.is_active else []
        return format_html_join(mark_safe("<br>"), "⚠ {}", ((p,) for p in problems))

    # -- the change page ---------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        binding = self.get_object(request, object_id)
        if request.method == "GET" and binding is not None and binding.is_active:
            for problem in fitness_problems(binding):
                self.message_user(
                    request,
                    _("This binding is not sent: %(problem)s") % {"problem": problem},
                    messages.WARNING,
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        context.update(
            zns_params_fieldset=params_fieldset(form),
            zns_editor={
                "preview_url": reverse("admin:zns_notify_binding_preview"),
                "fields_url": reverse("admin:zns_notify_binding_param_fields"),
                "send_url": reverse("admin:zns_notify_binding_send_test"),
                "binding": obj.pk if obj is not None else "",
            },
            zns_can_send_test=self.has_change_permission(request, obj),
            zns_may_render_orders=self.may_render_orders(request),
            zns_recent_orders=(
                binding_preview.recent_orders() if self.may_render_orders(request) else []
            ),
            zns_has_order_model=binding_preview.order_model() is not None,
            zns_preview_order_name=PREVIEW_ORDER,
            zns_preview_order=(
                request.POST.get(PREVIEW_ORDER, "") if request.method == "POST" else ""
            ),
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # A class made for this request (modelform_factory): saving renders real orders
        # only for who may render them in the preview.
        form.may_render_orders = self.may_render_orders(request)
        form.mask_phones = not can_see_full_phone(request)
        return form

    def save_model(self, request, obj, form, change):
        for warning in getattr(form, "render_warnings", []):
            self.message_user(request, warning, messages.WARNING)
        if "_saveasnew" in request.POST:
            # Two active bindings of one event send twice: the copy starts switched off.
            obj.is_active = False
            obj.name = copy_name(obj)
            self.message_user(
                request,
                _(
                    "The copy is inactive: switch it on when it should "
                    "send instead of, or beside, the original."
                ),
                messages.WARNING,
            )
        super().save_model(request, obj, form, change)

    def may_render_orders(self, request) -> bool:
        """An expression reads any field of an order (address, notes…): rendering typed
        expressions against real orders is editing power, not a view. Viewers preview
        sample data."""
        return self.has_change_permission(request)

    # -- duplicate -----------------------------------------------------------------------

    @admin.action(description=_("Duplicate selected bindings"), permissions=["add"])
    def duplicate_selected(self, request, queryset):
        copies = [duplicate(binding) for binding in queryset.select_related("template")]
        for copy in copies:
            self.log_addition(request, copy, [{"added": {}}])
        self.message_user(
            request,
            ngettext(
                "%(count)d inactive copy created: %(names)s.",
                "%(count)d inactive copies created: %(names)s.",
                len(copies),
            )
            % {"count": len(copies), "names": ", ".join(str(c) for c in copies)},
        )

    # -- the editor's views ----------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "param-fields/",
                wrap(self.param_fields_view),
                name="zns_notify_binding_param_fields",
            ),
            path("preview/", wrap(self.preview_view), name="zns_notify_binding_preview"),
            path("send-test/", wrap(self.send_test_view), name="zns_notify_binding_send_test"),
            *super().get_urls(),
        ]

    def _editing(self, request) -> tuple[BindingForm, object | None, str]:
        """The posted editor as a form (not validated), the order chosen for the preview
        (None: none chosen) and what was typed to choose it."""
        instance = None
        raw_pk = request.POST.get("binding", "")
        if is_pk(raw_pk):
            instance = Binding.objects.filter(pk=raw_pk).first()
        form = BindingForm(request.POST, instance=instance or Binding())
        typed = request.POST.get(PREVIEW_ORDER, "").strip()
        return form, binding_preview.find_order(typed) if typed else None, typed

    def _checked(self, request, form, chosen) -> tuple[order_checks.Checked, object | None]:
        """The orders saving checks, and the real order the preview draws (None: the
        sample): the chosen order, else the first the binding would be sent for."""
        may_render = self.may_render_orders(request)
        checked = order_checks.checked_orders(
            chosen, may_render_orders=may_render, **form.posted_binding()
        )
        return checked, checked.drawn.order if checked.drawn.real else None

    def param_fields_view(self, request):
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = BindingForm(
            initial={"template": request.GET.get("template", "")}, instance=Binding()
        )
        html = render_to_string(
            "admin/zns_notify/binding/params_fieldset.html",
            {"zns_params_fieldset": params_fieldset(form)},
            request=request,
        )
        return JsonResponse({"html": html})

    def preview_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.POST.get(PREVIEW_ORDER, "").strip() and not self.may_render_orders(request):
            return JsonResponse(
                {
                    "ok": False,
                    "error": gettext(
                        "Rendering a real order needs the permission to change bindings: leave the "
                        "order empty to preview with sample data."
                    ),
                },
                status=403,
            )
        form, order, typed = self._editing(request)
        if typed and order is None:
            return JsonResponse(
                {
                    "ok": False,
                    "error": no_order_error(typed),
                },
                status=400,
            )
        checked, order = self._checked(request, form, order)
        shown, context = _preview(form, order)
        verdicts = order_checks.verdicts(
            form.posted_expressions(),
            form.specs,
            form.posted_event(),
            checked,
            mask=not can_see_full_phone(request),
        )
        values = {p.name: p.value for p in shown.params}
        sms_shown = sms_preview(
            enabled=form.data.get(form.add_prefix("sms_enabled")) in ("on", "true", "1"),
            source=form.data.get(form.add_prefix("sms_text"), ""),
            context=context,
            params=shown.values,
        )
        sms_text = sms_shown.measured.text if sms_shown.measured is not None else ""
        if order is not None and not can_see_full_phone(request):
            # A binding may put the customer's number into a param: masked, as in the log.
            values = mask_params(values, context["phone"])
            sms_text = mask_params({"sms": sms_text}, context["phone"])["sms"]
        recipient = _recipient_problem(order)
        html = render_to_string(
            "admin/zns_notify/binding/phone_preview.html",
            {
                **_phone_frame(order, shown, recipient),
                "template": form.template,
                "preview": shown,
                "recipient_problem": recipient,
                "params": [(p, values[p.name]) for p in shown.params],
                "sms": sms_shown,
                "sms_text": sms_text,
                "checked": checked.note,
            },
            request=request,
        )
        return JsonResponse(
            {
                "sms": sms_shown.as_json(sms_text),
                "ok": shown.ok and not sms_shown.problem,
                "html": html,
                "params": {
                    p.name: {
                        "field": param_field_name(p.name),
                        "value": values[p.name],
                        "problem": p.problem,
                        "length": len(p.value),
                        "max": form.specs.get(p.name, {}).get("max_length"),
                        # What saving says of it, for every order it checks.
                        "refused": verdicts.get(p.name, order_checks.Verdict()).refused,
                        "warning": verdicts.get(p.name, order_checks.Verdict()).warning,
                    }
                    for p in shown.params
                },
                "problems": shown.problems,
                "condition": shown.condition_note,
                "condition_problem": shown.condition_problem,
                "recipient_problem": recipient,
                "checked": checked.note,
            }
        )

    def send_test_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        form, order, typed = self._editing(request)
        if typed and order is None:
            return JsonResponse(
                {"ok": False, "error": gettext("No order %(order)s.") % {"order": typed}},
                status=400,
            )
        _checked, order = self._checked(request, form, order)  # what the preview shows
        shown, _context = _preview(form, order)
        event = form.posted_event()
        label = str(form.instance) if form.instance.pk else gettext("(not saved yet)")
        try:
            message = dev_send.send(
                dev_send.SendTestRequest(
                    template=form.template,
                    event=event,
                    phone=request.POST.get("test_phone", ""),
                    preview=shown,
                    order=order,
                    binding_label=label,
                    user=request.user.get_username(),
                )
            )
        except dev_send.SendTestRefused as exc:
            return JsonResponse({"ok": False, "error": str(exc)}, status=400)
        if form.instance.pk:  # the binding's history says who tested it, and how
            self.log_change(
                request,
                form.instance,
                gettext("Sent a test in development mode (message %(key)s).")
                % {"key": message.idempotency_key},
            )
        answer = {
            "ok": True,
            "message": gettext(
                "Test message queued in development mode, tracking id "
                "%(key)s. The worker sends it; its status is in the log."
            )
            % {"key": message.idempotency_key},
        }
        if request.user.has_perm("zns_notify.view_message"):  # else the link would be a 403
            answer.update(
                url=reverse("admin:zns_notify_message_change", args=[message.pk]),
                link=gettext("Open it in the message log"),
            )
        return JsonResponse(answer)


def _preview(form: BindingForm, order) -> tuple[binding_preview.Preview, dict]:
    source = order if order is not None else binding_preview.sample_order()
    event = form.posted_event()
    context = binding_preview.context_for(source, event)
    shown = binding_preview.preview(
        form.template,
        form.posted_expressions(),
        context,
        condition=form.posted_binding()["condition"],
        # Only a real order says whether the condition holds; read afresh (preview()).
        condition_context=binding_preview.context_for(order, event) if order is not None else None,
    )
    return shown, context


def _recipient_problem(order) -> str:
    """Why the chosen order's messages cannot reach its customer ("" when they can, or
    with sample data): the binding may be fine and still every message of this order fail.
    Not a problem of the binding, so a test (sent to a typed phone) is not refused for it;
    the reason masks the number."""
    if order is None:
        return ""
    try:
        normalize_phone(read_order(order).raw_phone)
    except ZnsInvalidPhone as exc:
        return gettext("This order's messages would fail: %(reason)s") % {"reason": exc}
    return ""


def _phone_frame(order, shown: binding_preview.Preview, recipient: str = "") -> dict:
    """The phone's top bar and the message's footer."""
    account = ZaloAccount.objects.current()
    problems = (
        sum(1 for p in shown.params if p.problem) + len(shown.problems) + (1 if recipient else 0)
    )
    return {
        "oa_name": (
            account.name
            if account is not None and account.name
            else gettext("Your Official Account")
        ),
        "subtitle": (
            gettext("Preview with order %(order)s") % {"order": binding_preview.order_label(order)}
            if order is not None
            else gettext("Preview with sample data")
        ),
        "now": zns_datetime(timezone.now()),
        "status": (
            ngettext("%(count)d problem", "%(count)d problems", problems) % {"count": problems}
        )
        if problems
        else gettext("Ready to send"),
    }
