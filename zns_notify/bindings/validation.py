"""Checks a binding must pass before it is saved (admin) or sent."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.template import Context, TemplateSyntaxError
from django.utils.translation import gettext as _

from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsRenderError
from zns_notify.fallback.validation import problems as sms_problems
from zns_notify.rendering.conditions import compile_condition
from zns_notify.rendering.engine import RenderLimitExceeded
from zns_notify.rendering.params import check_value, compile_expression, render_value


def validate_binding(binding) -> None:
    """Raise ValidationError listing every problem, keyed by field."""
    errors: dict[str, list[str]] = {}
    if binding.event and binding.event not in app_settings.EVENTS:
        errors.setdefault("event", []).append(
            _("Unknown event %(event)s. Known events: %(known)s.")
            % {"event": binding.event, "known": ", ".join(app_settings.EVENTS)}
        )
    template = getattr(binding, "template", None) if binding.template_id else None
    if template is not None and binding.is_active and not template.is_sendable:
        errors.setdefault("is_active", []).append(
            _(
                "Template %(id)s is %(status)s on Zalo; "
                "only ENABLE templates can be bound as active."
            )
            % {"id": template.template_id, "status": template.status}
        )
    params = binding.params if isinstance(binding.params, dict) else None
    if params is None:
        errors.setdefault("params", []).append(_("Parameters must be a JSON object."))
    elif template is not None:
        errors.setdefault("params", []).extend(_param_problems(params, template.param_specs()))
    problem = condition_problem(getattr(binding, "condition", "") or "")
    if problem:
        errors.setdefault("condition", []).append(problem)
    for field, found in sms_problems(binding).items():
        errors.setdefault(field, []).extend(found)
    errors = {field: problems for field, problems in errors.items() if problems}
    if errors:
        raise ValidationError(errors)


def condition_problem(condition: str) -> str:
    """Why the binding's condition cannot be checked at send time ("" when it can)."""
    if not condition.strip():
        return ""
    try:
        compile_condition(condition)
    except TemplateSyntaxError as exc:
        return _("The condition is not a valid if-expression: %(error)s") % {"error": exc}
    return ""


def _param_problems(params: dict, specs: dict) -> list[ValidationError]:
    # Each problem carries the param's name, so that the admin's editor can show it next
    # to that param's own field.
    problems = []
    for name, source in params.items():
        if specs and name not in specs:
            problems.append(
                ValidationError(
                    _("%(param)s is not a parameter of this template."),
                    code="unknown_param",
                    params={"param": name},
                )
            )
            continue
        try:
            compile_expression(str(source))
        except TemplateSyntaxError as exc:
            problems.append(
                ValidationError(
                    _("%(param)s: %(error)s"), code="syntax", params={"param": name, "error": exc}
                )
            )
    for name, spec in specs.items():
        if spec.get("require", True) and not str(params.get(name, "")).strip():
            problems.append(
                ValidationError(
                    _("%(param)s is required by the template."),
                    code="required",
                    params={"param": name},
                )
            )
    return problems


#: What kind of problem a :class:`RenderedParam` has. EMPTY, FAILED and LENGTH depend on
#: the order's data (a guest order has no customer, one customer has a 40-letter name:
#: ``{{ customer_name }}`` is fine for the others); the others are the expression's own.
EMPTY, FAILED, LENGTH, LIMIT, SYNTAX, UNKNOWN, UNBOUND = (
    "empty",
    "failed",
    "length",
    "limit",
    "syntax",
    "unknown",
    "unbound",
)
DATA_DEPENDENT = frozenset({EMPTY, FAILED, LENGTH})


@dataclass(frozen=True)
class RenderedParam:
    """One param rendered against one context: its value, or why it cannot be sent."""

    name: str
    value: str = ""
    problem: str = ""
    #: One of the kinds above when there is a problem.
    kind: str = ""


def render_each(expressions: dict, specs: dict, context: dict) -> dict[str, RenderedParam]:
    """Every param rendered and checked, each on its own: :func:`rendering.render_params`
    stops at the first problem (a message either goes or fails), an editor wants them all.
    The same rules, in the same words; a required param without an expression is listed
    with its problem too."""
    ctx = Context(dict(context), autoescape=False)
    results = {}
    for name, source in expressions.items():
        if specs and name not in specs:
            results[name] = RenderedParam(
                name,
                problem=_("Parameter %(param)s does not exist in the template.") % {"param": name},
                kind=UNKNOWN,
            )
            continue
        try:
            value = render_value(name, str(source), ctx)
        except ZnsRenderError as exc:
            results[name] = RenderedParam(name, problem=str(exc), kind=_render_kind(exc))
            continue
        try:
            check_value(name, value, specs.get(name, {}))
        except ZnsRenderError as exc:  # rendered, but Zalo would refuse it: shown with why
            kind = LENGTH if value else EMPTY
            results[name] = RenderedParam(name, value=value, problem=str(exc), kind=kind)
        else:
            results[name] = RenderedParam(name, value=value)
    for name, spec in specs.items():
        if name not in results and spec.get("require", True):
            results[name] = RenderedParam(
                name,
                problem=_("Parameter %(param)s is required by the template but not bound.")
                % {"param": name},
                kind=UNBOUND,
            )
    return results


def _render_kind(exc: ZnsRenderError) -> str:
    if isinstance(exc.__cause__, TemplateSyntaxError):
        return SYNTAX
    if isinstance(exc.__cause__, RenderLimitExceeded):
        return LIMIT
    return FAILED  # the order's data made the expression raise (the host's code runs in it)


def fitness_problems(binding) -> list[str]:
    """Why an existing binding can no longer be sent as it is, after its template changed
    on Zalo (or vanished): the template is not ENABLE, a required param is not mapped, or
    a mapped param no longer exists; or since it was saved, the binding engine refuses its
    text (:func:`compile_problems`). The same rules the event path applies before any API
    call (outbox._build_row, rendering.render_params), told ahead of time."""
    template = binding.template
    problems = []
    if template.missing_since is not None:
        problems.append(
            _("Template %(id)s is no longer listed by Zalo.") % {"id": template.template_id}
        )
    elif not template.is_sendable:
        problems.append(
            _("Template %(id)s is %(status)s on Zalo, not ENABLE.")
            % {"id": template.template_id, "status": template.status}
        )
    params = binding.params if isinstance(binding.params, dict) else {}
    specs = template.param_specs()
    for name in params:
        if specs and name not in specs:
            problems.append(
                _("Parameter %(param)s does not exist in the template.") % {"param": name}
            )
    for name, spec in specs.items():
        if spec.get("require", True) and name not in params:
            problems.append(
                _("Parameter %(param)s is required by the template but not bound.")
                % {"param": name}
            )
    return problems + compile_problems(binding)


def compile_problems(binding) -> list[str]:
    """What the binding engine refuses to compile in a stored binding: a row saved before
    its list of tags and filters (docs/templates.md) or written without its checks. Such
    a binding's messages fail (a param, the SMS text) or are cancelled (the condition),
    each with this reason; listed here so that it is fixed before."""
    problems = []
    params = binding.params if isinstance(binding.params, dict) else {}
    for name, source in params.items():
        try:
            compile_expression(str(source))
        except TemplateSyntaxError as exc:
            problems.append(_("Parameter %(param)s: %(error)s") % {"param": name, "error": exc})
    condition = (getattr(binding, "condition", "") or "").strip()
    if condition:
        try:
            compile_condition(condition)
        except TemplateSyntaxError as exc:
            problems.append(_("The condition: %(error)s") % {"error": exc})
    if binding.sms_enabled and (binding.sms_text or "").strip():
        try:
            compile_expression(binding.sms_text)
        except TemplateSyntaxError as exc:
            problems.append(_("The SMS text: %(error)s") % {"error": exc})
    return problems
