"""The binding editor's form: one field per parameter of the chosen template.

Storage stays ``Binding.params`` (a JSON object, name -> expression); the form builds one
field per param from the template's synced spec (``Template.params``), plus one per name
the stored JSON has and the template does not (shown with its problem, so the operator
sees it and clears it), and assembles the JSON again on save. An empty field means "not
bound". Saving is refused, naming the param, when an expression does not compile, names
a param the template lacks, leaves a required one out (the model's rules,
:func:`zns_notify.bindings.validation.validate_binding`) or cannot be sent for the orders
it is checked against (:mod:`zns_notify.bindings.order_checks`).
"""

from __future__ import annotations

import json

from django import forms
from django.contrib.admin import helpers
from django.template import TemplateSyntaxError
from django.utils.html import escape, format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zns_notify.bindings import order_checks
from zns_notify.bindings import preview as binding_preview
from zns_notify.bindings.journey_advice import journey_warnings
from zns_notify.conf import app_settings
from zns_notify.display.labels import event_choices
from zns_notify.models import Binding, Template
from zns_notify.models.sms_triggers import CHOICES as SMS_TRIGGER_CHOICES
from zns_notify.rendering.params import compile_expression

#: Form field name of a param: "param__order_code".
PARAM_PREFIX = "param__"
#: The preview's order choice, posted with the form (empty: the orders the binding would be
#: sent for, else sample data: :mod:`~zns_notify.bindings.order_checks`).
PREVIEW_ORDER = "zns_preview_order"


def is_pk(raw: str) -> bool:
    """Whether a posted id can be an integer primary key: ASCII digits only, since
    str.isdigit() also holds for "²", which int() refuses (a server error)."""
    return raw.isascii() and raw.isdigit()


def no_order_error(typed: str) -> str:
    """What the preview and saving say when the order typed in "Render with order" is
    none of the shop's."""
    return gettext(
        "No order %(order)s: type an order's reference or id, "
        "or leave it empty for the newest orders."
    ) % {"order": typed}


def param_field_name(name: str) -> str:
    return PARAM_PREFIX + name


def param_limits(spec: dict) -> str:
    low, high = spec.get("min_length") or 0, spec.get("max_length")
    return f"{low}–{high}" if high else f"≥ {low}"


def variables_help() -> str:
    """The variables an expression can use, folded (HTML, escaped): every param's help
    lists them, and a form of five params would otherwise be mostly this list."""
    names = [
        *binding_preview.BASE_VARIABLES,
        *app_settings.ORDER_VARIABLES,
        *(f"order.{name}" for name, _label in binding_preview.order_fields()),
    ]
    return format_html(
        '<details class="zns-variables"><summary>{}</summary>{} {}</details>',
        gettext("Variables (%(count)d)") % {"count": len(names)},
        format_html_join(", ", "<code>{}</code>", ((name,) for name in names)),
        gettext("and the keyword arguments your code passes to notify()."),
    )


def param_help(spec: dict) -> str:
    """Type, length limit, whether required; then the variables (HTML, escaped)."""
    required = spec.get("require", True)
    if required and not spec.get("accept_null", False):
        need = gettext("required, must not be empty")
    elif required:
        need = gettext("required, may be empty")
    else:
        need = gettext("optional")
    limits = gettext("%(type)s, %(limits)s characters after Unicode NFC, %(need)s.") % {
        "type": spec.get("type") or "STRING",
        "limits": param_limits(spec),
        "need": need,
    }
    return format_html("{}{}", limits, variables_help())


def chosen_template(form: forms.BaseForm) -> Template | None:
    """The template the params follow: the posted one, else the initial or stored one."""
    if form.is_bound:
        raw = form.data.get(form.add_prefix("template"))
    else:
        raw = form.initial.get("template") or form.instance.template_id
    if isinstance(raw, Template):
        return raw
    raw = str(raw or "").strip()
    return Template.objects.filter(pk=raw).first() if is_pk(raw) else None


class TriggerCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes that say when they were on the page: no box checked then means "no
    trigger", while a post without them (a script written before the SMS fallback) keeps
    the binding's triggers instead of clearing them."""

    def marker(self, name: str) -> str:
        return f"{name}__shown"

    def render(self, name, value, attrs=None, renderer=None):
        return format_html(
            '{}<input type="hidden" name="{}" value="1">',
            super().render(name, value, attrs, renderer),
            self.marker(name),
        )

    def value_omitted_from_data(self, data, files, name):
        return self.marker(name) not in data


class BindingForm(forms.ModelForm):
    """The event is chosen from the events the shop declares (read live from settings)."""

    #: Whether saving may render real orders: the admin sets it per request (the change
    #: permission's, as for the preview); otherwise the sample order is checked.
    may_render_orders = True
    #: Whether what saving says of real orders masks their phone numbers: the admin sets
    #: it per request (for staff without ``zns_notify.view_full_phone``).
    mask_phones = False
    #: Set by clean(): warnings about some of the orders checked, shown once saved.
    render_warnings: list[str] = []  # noqa: RUF012 replaced per instance, never mutated

    event = forms.ChoiceField(label=capfirst(_("event")))
    # Never rendered: the home of the model's errors about the params as a whole (the
    # form moves each one naming a param next to that param's field, see _post_clean).
    params = forms.Field(required=False, widget=forms.HiddenInput)
    # The model keeps a JSON list; the editor offers the known outcomes as checkboxes.
    sms_triggers = forms.MultipleChoiceField(
        label=_("Send the SMS at once when Zalo answers"),
        required=False,
        choices=SMS_TRIGGER_CHOICES,
        widget=TriggerCheckboxes,
        help_text=_(
            "Checked outcomes send the SMS as soon as Zalo gives that answer. Any "
            "other message Zalo accepted gets the SMS only when no delivery receipt "
            "came within the window above; a receipt within the window cancels it."
        ),
    )

    class Meta:
        model = Binding
        fields = [
            "name",
            "event",
            "template",
            "is_active",
            "delay_minutes",
            "condition",
            "sms_enabled",
            "sms_text",
            "sms_window_minutes",
            "sms_triggers",
            "journey_type",
        ]
        widgets = {
            "condition": forms.TextInput(attrs={"size": 80}),
            "sms_text": forms.Textarea(
                attrs={"rows": 3, "cols": 60, "class": "zns-sms-text", "spellcheck": "false"}
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            self.data = self._fields_from_json(self.data)

        choices = event_choices()
        if self.instance.event and self.instance.event not in app_settings.EVENTS:
            # Keep a retired event visible.
            choices.append((self.instance.event, self.instance.event))
        self.fields["event"].choices = choices
        if "delay_minutes" in self.fields:
            self.fields["delay_minutes"].required = False  # empty means at once
        if "sms_window_minutes" in self.fields:
            self.fields["sms_window_minutes"].required = False  # empty keeps the window
        self.template = chosen_template(self)
        self.specs = self.template.param_specs() if self.template is not None else {}
        self.param_names = self._add_param_fields()

    def _fields_from_json(self, data):
        """A post without param fields but with the params as one JSON object (how this
        form was posted before it had a field per param, and how a script may still post
        it) is read as if each param had been typed in its field."""
        prefix = self.add_prefix(PARAM_PREFIX)
        raw = data.get(self.add_prefix("params"))
        if not raw or any(key.startswith(prefix) for key in data):
            return data
        try:
            params = json.loads(raw)
        except ValueError:
            return data  # clean() says the params must be a JSON object
        if not isinstance(params, dict):
            return data
        data = data.copy()
        for name, expression in params.items():
            data[prefix + str(name)] = str(expression)
        return data

    def clean_params(self):
        raw = self.data.get(self.add_prefix("params"))
        has_fields = any(key.startswith(self.add_prefix(PARAM_PREFIX)) for key in self.data)
        if raw and not has_fields:
            try:
                valid = isinstance(json.loads(raw), dict)
            except ValueError:
                valid = False
            if not valid:
                raise forms.ValidationError(gettext("Parameters must be a JSON object."))
        return None

    def _add_param_fields(self) -> list[str]:
        stored = self.instance.params if isinstance(self.instance.params, dict) else {}
        if self.is_bound:  # what the page posted, including params the template lacks
            prefix = self.add_prefix(PARAM_PREFIX)
            names = [key[len(prefix) :] for key in self.data if key.startswith(prefix)]
        else:
            names = list(stored)
        extra = [name for name in names if name not in self.specs]
        for name, spec in self.specs.items():
            self.fields[param_field_name(name)] = self._param_field(name, spec, stored.get(name))
        for name in extra:
            self.fields[param_field_name(name)] = forms.CharField(
                label=name,
                required=False,
                initial=stored.get(name, ""),
                widget=self._widget(name, self._shown(name, stored.get(name))),
                help_text=format_html(
                    "{}",
                    gettext(
                        "%(param)s is not a parameter of this template: clear this field to remove "
                        "it."
                    )
                    % {"param": name},
                ),
            )
        return [*self.specs, *extra]

    def _param_field(self, name: str, spec: dict, stored) -> forms.CharField:
        required = bool(spec.get("require", True))
        return forms.CharField(
            label=name,
            required=required,
            initial=stored if stored is not None else "",
            widget=self._widget(name, self._shown(name, stored)),
            help_text=param_help(spec),
            error_messages={
                "required": gettext("%(param)s is required by the template.") % {"param": name}
            },
        )

    def _shown(self, name: str, stored) -> str:
        """The expression the field shows: the posted one, else the stored one."""
        if self.is_bound:
            return str(self.data.get(self.add_prefix(param_field_name(name)), ""))
        return "" if stored is None else str(stored)

    @staticmethod
    def _widget(name: str, value: str = "") -> forms.Widget:
        """A one-line input; a text area for an expression of several lines, which an
        <input> would silently join into one line when the page is saved."""
        attrs = {
            "class": "zns-param",
            "data-param": name,
            "autocomplete": "off",
            "spellcheck": "false",
        }
        lines = value.count("\n") + 1
        if lines > 1:
            return forms.Textarea(attrs={**attrs, "rows": min(lines, 8)})
        return forms.TextInput(attrs=attrs)

    def clean_delay_minutes(self) -> int:
        return self.cleaned_data.get("delay_minutes") or 0

    def _omitted(self, name: str) -> bool:
        field = self.fields[name]
        return field.widget.value_omitted_from_data(self.data, self.files, self.add_prefix(name))

    def clean_sms_triggers(self) -> list[str]:
        # The order of CHOICES, whatever the order of the boxes posted.
        if self._omitted("sms_triggers"):
            return list(self.instance.sms_triggers or [])
        chosen = set(self.cleaned_data.get("sms_triggers") or [])
        return [value for value, _label in SMS_TRIGGER_CHOICES if value in chosen]

    def clean_sms_window_minutes(self) -> int:
        value = self.cleaned_data.get("sms_window_minutes")
        if value is None:  # not posted or left empty: the binding's window stays
            return self.instance.sms_window_minutes
        return value

    def assembled_params(self) -> dict[str, str]:
        values = {}
        for name in self.param_names:
            value = self.cleaned_data.get(param_field_name(name))
            if value is None:  # its field failed: keep what was typed, so the model says why
                key = self.add_prefix(param_field_name(name))
                value = self.data.get(key, "") if self.is_bound else ""
            # A browser posts a text area's line breaks as CR LF: stored as they were typed.
            value = str(value).replace("\r\n", "\n").strip()
            if value:
                values[name] = value
        return values

    def posted_event(self) -> str:
        """The event as posted, not validated (the editor's preview)."""
        return self.data.get(self.add_prefix("event"), "") or self.instance.event

    def posted_binding(self) -> dict[str, str]:
        """The event and the condition as posted, not validated: what picks the orders the
        preview checks (:func:`~zns_notify.bindings.order_checks.checked_orders`)."""
        condition = self.data.get(self.add_prefix("condition"), "")
        return {"event": self.posted_event(), "condition": str(condition or "")}

    def posted_expressions(self) -> dict[str, str]:
        """The params' expressions as posted, not validated (the editor's preview); the
        empty ones left out, as not bound."""
        expressions = {}
        for name in self.param_names:
            value = str(self.data.get(self.add_prefix(param_field_name(name)), "")).strip()
            if value:
                expressions[name] = value
        return expressions

    def clean(self):
        cleaned = super().clean()
        params = self.assembled_params()
        cleaned["params"] = params
        self.instance.params = params  # not a Meta field: construct_instance leaves it
        self._check_rendering(params)
        self.render_warnings += journey_warnings(
            cleaned.get("journey_type") or "", cleaned.get("event") or "", self.template
        )
        return cleaned

    def _check_rendering(self, params: dict[str, str]) -> None:
        """Refuse what cannot be sent for the orders saving checks (the order chosen in the
        preview, else the newest orders, else the sample: :mod:`~zns_notify.bindings.
        order_checks`); keep the warnings about some orders for the admin to show once
        saved. Expressions the model refuses anyway (syntax, a param the template lacks)
        are left to it, so each problem is said once."""
        self.render_warnings = []
        if self.template is None:
            return
        checked = {}
        for name, source in params.items():
            if name not in self.specs:
                continue
            try:
                compile_expression(source)
            except TemplateSyntaxError:
                continue
            checked[name] = source
        event = self.cleaned_data.get("event") or ""
        typed = self.data.get(PREVIEW_ORDER, "").strip() if self.is_bound else ""
        chosen = binding_preview.find_order(typed) if typed and self.may_render_orders else None
        if typed and self.may_render_orders and chosen is None:
            # As the preview answers: checking other orders instead would save unseen.
            self.add_error(None, no_order_error(typed))
            return
        orders = order_checks.checked_orders(
            chosen,
            may_render_orders=self.may_render_orders,
            event=event,
            condition=str(self.cleaned_data.get("condition") or ""),
        )
        found = order_checks.verdicts(checked, self.specs, event, orders, mask=self.mask_phones)
        for name, verdict in found.items():
            field = param_field_name(name)
            if verdict.refused and not self.has_error(field):
                self.add_error(field, verdict.refused)
            elif verdict.warning:
                self.render_warnings.append(verdict.warning)

    def _post_clean(self):
        super()._post_clean()
        self._move_param_errors()

    def _move_param_errors(self) -> None:
        """Put each of the model's params errors naming one param next to its field (once:
        a field that already says why keeps its own message)."""
        errors = self._errors.get("params") if self._errors else None
        if not errors:
            return
        kept = []
        for error in errors.as_data():
            name = (error.params or {}).get("param")
            field = param_field_name(name) if name is not None else None
            if field in self.fields:
                if not self.has_error(field):
                    self.add_error(field, error)
            else:
                kept.append(error)
        if kept:
            self._errors["params"] = self.error_class(kept, renderer=self.renderer)
        else:
            del self._errors["params"]


def params_fieldset(form: BindingForm) -> helpers.Fieldset:
    """The params' fields as one fieldset of the change page (and of param-fields/)."""
    if form.template is None:
        description = gettext("Choose a template: its parameters appear here.")
    else:
        description = gettext(
            "One expression per parameter of template %(template)s, in Django template "
            "syntax, e.g. {{ order_code }} or {{ order.total|vnd }}. Filters: vnd, zns_date, "
            "zns_datetime, zns_time, zns_truncate:N. An empty optional field is not sent."
        ) % {"template": form.template}
    return helpers.Fieldset(
        form,
        name=gettext("Parameters"),
        fields=[param_field_name(name) for name in form.param_names],
        # The admin's fieldset template marks descriptions safe: escape the braces' text.
        classes=("zns-params",),
        description=escape(description),
    )
