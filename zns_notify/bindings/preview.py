"""What the binding editor renders against: a real order of ORDER_MODEL or sample data,
the variables a binding's expressions can use, and the preview of a whole binding.

The context is the one the event path builds (outbox._write): ``order``, ``customer_name``,
``order_code``, ``phone``, ``event``, ``now``. One difference, on purpose: the order is
wrapped read-only (:func:`zns_notify.rendering.conditions.read_only`), because the editor renders
on every keystroke and Django's template engine calls any method it meets: an operator
typing ``{{ order.cancel }}`` must not cancel a real order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldError, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from zns_notify.bindings.validation import RenderedParam, condition_problem, render_each
from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsInvalidPhone
from zns_notify.lib.phones import normalize_phone
from zns_notify.rendering.conditions import holds, read_only
from zns_notify.rendering.order_data import CONTEXT_VARIABLES, order_variables, read_order

#: How many recent orders the editor offers to preview against.
RECENT_ORDERS = 10
#: Values of the sample order, for the fields the ORDER_* settings name.
SAMPLE_NAME, SAMPLE_PHONE, SAMPLE_CODE = "Nguyễn Thị Lan", "0912 345 678", "DH000123"
SAMPLE_AMOUNT = 1_250_000
#: Set on the order :func:`sample_order` builds, so :func:`context_for` knows it is no real one.
SAMPLE_MARK = "_zns_sample_order"
#: Context variables beside ``order``, with what each is (shown in the editor's help).
BASE_VARIABLES = tuple(name for name in CONTEXT_VARIABLES if name != "order")


def order_model() -> type[models.Model] | None:
    label = app_settings.ORDER_MODEL
    if not label:
        return None
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def order_fields() -> list[tuple[str, str]]:
    """(name, verbose name) of ORDER_MODEL's concrete fields: what ``order.<name>`` reads."""
    model = order_model()
    if model is None:
        return []
    return [(f.name, str(f.verbose_name)) for f in model._meta.concrete_fields]


def _code_field(model) -> str | None:
    """The model field ORDER_CODE names, when it is a plain field (then orders can be found
    by their reference); None for a callable or a path through a relation."""
    accessor = app_settings.ORDER_CODE
    if not isinstance(accessor, str) or "." in accessor:
        return None
    try:
        model._meta.get_field(accessor)
    except Exception:  # noqa: BLE001 FieldDoesNotExist: a property, not a field
        return None
    return accessor


def find_order(text: str) -> Any | None:
    """The order whose reference (ORDER_CODE) or primary key is ``text``, or None."""
    model, text = order_model(), (text or "").strip()
    if model is None or not text:
        return None
    manager = model._default_manager
    lookups = [{code: text}] if (code := _code_field(model)) else []
    for lookup in [*lookups, {"pk": text}]:
        try:
            found = manager.filter(**lookup).first()
        except (ValueError, TypeError, ValidationError):
            continue  # text this field cannot hold (a word for a number field): not it
        if found is not None:
            return found
    return None


def order_label(order: Any) -> str:
    """How the editor names an order: its reference (ORDER_CODE), else its primary key."""
    return read_order(order).order_ref


def recent_order_objects(
    limit: int = RECENT_ORDERS, statuses: list | None = None
) -> list[Any] | None:
    """The newest orders, newest first: the ones the editor offers and saving checks. With
    ``statuses``, only the orders whose ORDER_STATUS_FIELD holds one of them; None when
    that is no field to filter on (then nothing says whether any order has one)."""
    model = order_model()
    if model is None:
        return []
    orders = model._default_manager.order_by(*newest_first(model))
    if statuses is not None:
        try:
            orders = orders.filter(**{f"{app_settings.ORDER_STATUS_FIELD}__in": statuses})
            return list(orders[:limit])
        except (FieldError, ValueError, TypeError, ValidationError):
            return None  # a property, not a field: the caller falls back to the newest orders
    return list(orders[:limit])


def newest_first(model) -> list[str]:
    """How to sort ``model`` newest first: its ``Meta.get_latest_by`` (what ``latest()``
    reads), else a creation timestamp (``auto_now_add``), else the primary key, which
    counts up for the usual integer keys (a UUID key without either sorts at random)."""
    latest = model._meta.get_latest_by
    if latest:
        fields = [latest] if isinstance(latest, str) else list(latest)
        return [f[1:] if f.startswith("-") else f"-{f}" for f in fields] + ["-pk"]
    for f in model._meta.concrete_fields:
        if isinstance(f, models.DateTimeField) and f.auto_now_add:
            return [f"-{f.name}", "-pk"]
    return ["-pk"]


def recent_orders(limit: int = RECENT_ORDERS) -> list[tuple[str, str]]:
    """(what to type, label) of the newest orders, newest first, offered in the editor."""
    offered = []
    for order in recent_order_objects(limit):
        facts = read_order(order)
        offered.append((facts.order_ref, f"{facts.order_ref} · {facts.customer_name}".strip(" ·")))
    return offered


def _sample_value(f: models.Field, now: dt.datetime) -> Any:
    if f.choices:
        return f.choices[0][0]
    if isinstance(f, models.DateTimeField):
        return now
    if isinstance(f, models.DateField):
        return timezone.localdate(now)
    if isinstance(f, models.TimeField):
        return timezone.localtime(now).time().replace(microsecond=0)
    if isinstance(f, models.BooleanField):
        return True
    if isinstance(f, models.PositiveSmallIntegerField | models.SmallIntegerField):
        return 2
    if isinstance(f, models.IntegerField | models.DecimalField | models.FloatField):
        return SAMPLE_AMOUNT
    if isinstance(f, models.EmailField):
        return "lan@example.vn"
    if isinstance(f, models.URLField):
        return "https://shop.example.vn"
    if isinstance(f, models.CharField | models.TextField):
        text = str(f.verbose_name).capitalize()
        return text[: f.max_length] if f.max_length else text
    return None


def sample_order(now: dt.datetime | None = None) -> Any | None:
    """An unsaved ORDER_MODEL instance with a plausible value in each field: the phone,
    name and code fields the ORDER_* settings name get Vietnamese-looking values; a text
    field gets its own label, a number 1,250,000, a date today. Each forward foreign key
    and one-to-one holds an unsaved sample of its model, filled the same way, up to
    :data:`SAMPLE_DEPTH` steps from the order, so ``{{ order.customer.full_name }}``
    renders as it does for a real order; reverse relations and many-to-many read as
    empty."""
    model = order_model()
    if model is None:
        return None
    order = _sample_of(model, now or timezone.now(), ())
    if order is None:
        return None
    _fill_accessor_paths(order)
    setattr(order, SAMPLE_MARK, True)
    return order


#: How many relation steps from the order the sample fills: enough for an order's
#: address or customer and what those point at, without building the whole schema.
SAMPLE_DEPTH = 2


def _sample_of(model, now: dt.datetime, path: tuple) -> Any | None:
    """An unsaved ``model`` with sample values, its relations filled while ``path`` (the
    models between the order and it) is shorter than SAMPLE_DEPTH."""
    try:
        obj = model()
    except Exception:  # noqa: BLE001 a host model that cannot be built without arguments
        return None
    if isinstance(model._meta.pk, models.AutoField | models.BigAutoField | models.IntegerField):
        # A primary key no row has: the object's related sets (order.items…) read as empty
        # instead of refusing to be used on an unsaved instance.
        obj.pk = 0
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        if f.is_relation:
            related = f.related_model
            # A model already on the way here (an order's parent order, a self-reference)
            # would be built again and again: left empty, as the depth bound's end is.
            if (f.many_to_one or f.one_to_one) and isinstance(related, type):
                if len(path) < SAMPLE_DEPTH and related not in (*path, model):
                    if (value := _sample_of(related, now, (*path, model))) is not None:
                        setattr(obj, f.name, value)
            continue
        value = _sample_value(f, now)
        if value is not None:
            setattr(obj, f.attname, value)
    return obj


def _fill_accessor_paths(order) -> None:
    """The sample name, phone and code where the ORDER_* settings read them: the order's
    own field, or a path through the sample's relations (``shipping_address.phone``). Of
    a list of fallbacks, the first path the sample can hold."""
    for setting, value in (
        ("ORDER_PHONE", SAMPLE_PHONE),
        ("ORDER_CUSTOMER_NAME", SAMPLE_NAME),
        ("ORDER_CODE", SAMPLE_CODE),
    ):
        accessors = app_settings.raw_accessor(setting)  # a list of fallbacks stays one
        if not isinstance(accessors, list | tuple):
            accessors = [accessors]
        for accessor in accessors:
            if isinstance(accessor, str) and _set_path(order, accessor, value):
                break


def _set_path(order, accessor: str, value: str) -> bool:
    *steps, last = accessor.split(".")
    target = order
    for step in steps:
        target = getattr(target, step, None)
        if not isinstance(target, models.Model):
            return False  # a dotted path of a callable, or a relation the sample left empty
    try:
        f = target._meta.get_field(last)
    except Exception:  # noqa: BLE001 FieldDoesNotExist: a property, not a field
        return False
    if f.is_relation or not f.concrete or f.primary_key:
        return False
    if getattr(f, "max_length", None):
        value = value[: f.max_length]
    setattr(target, f.attname, value)
    return True


def context_for(order: Any | None, event: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """The variables of a binding's expressions, as the event path gives them (docstring)."""
    now = now or timezone.now()
    if order is None or getattr(order, SAMPLE_MARK, False):
        # No (buildable) ORDER_MODEL, or the sample order: an ORDER_* callable may read
        # what the sample lacks (a reverse relation, a relation past SAMPLE_DEPTH, the
        # shop's own lookups), so the three facts and ORDER_VARIABLES take sample values
        # instead of refusing a good binding "with sample data".
        name, code, raw_phone = SAMPLE_NAME, SAMPLE_CODE, SAMPLE_PHONE
        variables = sample_variables()
    else:
        facts = read_order(order)
        name, code, raw_phone = facts.customer_name, facts.order_ref, facts.raw_phone
        variables = order_variables(order, wrap=read_only)
    return {
        "order": read_only(order) if order is not None else None,
        "customer_name": name,
        "order_code": code,
        "phone": _normalized(raw_phone),
        "event": event,
        "now": now,
        **variables,
    }


def sample_variables() -> dict[str, str]:
    """ORDER_VARIABLES with sample text, as a sample order's own text fields get: the
    variable's name in words ("tracking_code" -> "Tracking code")."""
    return {name: name.replace("_", " ").capitalize() for name in app_settings.ORDER_VARIABLES}


def _normalized(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except ZnsInvalidPhone:
        return raw


@dataclass
class Preview:
    """A binding rendered against one context, param by param."""

    params: list[RenderedParam]
    #: Problems that are not one param's: the template, the condition.
    problems: list[str] = field(default_factory=list)
    #: What the condition says for this order ("" when there is none).
    condition_note: str = ""
    #: Why the condition cannot be checked ("" when it can); also in ``problems``.
    condition_problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and not any(p.problem for p in self.params)

    @property
    def values(self) -> dict[str, str]:
        return {p.name: p.value for p in self.params if not p.problem}


def preview(
    template,
    expressions: dict[str, str],
    context: dict[str, Any],
    *,
    condition: str = "",
    condition_context: dict[str, Any] | None = None,
) -> Preview:
    """Render ``expressions`` for ``template`` in ``context``; ordered as the template's
    params, then any the template does not have. With ``condition_context`` (a real
    order's, built apart from ``context``), say whether the condition holds there: a
    context of its own, because an ORDER_VARIABLES read that failed for a param keeps its
    error in the context, and the note would then blame the condition for it."""
    specs = template.param_specs() if template is not None else {}
    results = render_each(expressions, specs, context)
    order = [*specs, *(name for name in expressions if name not in specs)]
    shown = Preview([results[name] for name in order if name in results])
    if template is not None and not template.is_sendable:
        shown.problems.append(
            _("Template %(id)s is %(status)s on Zalo, not ENABLE.")
            % {"id": template.template_id, "status": template.status}
        )
    condition = (condition or "").strip()
    problem = condition_problem(condition)
    if problem:
        shown.problems.append(problem)
        shown.condition_problem = problem
    elif condition and condition_context is not None:
        shown.condition_note = _condition_note(condition, condition_context)
    return shown


def _condition_note(condition: str, context: dict[str, Any]) -> str:
    try:
        holding = holds(condition, context)
    except Exception as exc:  # noqa: BLE001 the host's model code runs inside the condition
        return _("The condition fails on this order: %(error)s") % {"error": exc}
    if holding:
        return _("The condition holds for this order: the message would be sent.")
    return _("The condition does not hold for this order: the message would be cancelled.")
