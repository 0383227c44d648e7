"""What saving a binding renders its params against, and what it makes of the results.

The orders checked (:func:`checked_orders`): the one chosen in the editor's preview; else
the orders the binding would be sent for: the newest (up to
:data:`~zns_notify.bindings.preview.RECENT_ORDERS`) whose status fires the binding's event
in ``ORDER_STATUS_EVENTS``, else (no such status, or no order in it yet: an event fired by
the shop's code) the shop's newest orders; of those, the ones the binding's condition does
not hold for are left out (their messages are cancelled, never rendered), while an order
the condition cannot be evaluated on is kept. With no order left (no orders yet, none the
condition holds for, or a user who may not render real orders), the sample order with its
related objects. The rule, per param:

- a problem of the expression itself (a render stopped at its limits, a syntax error, a
  param the template lacks or a required one not bound) is refused when it shows with any
  order checked;
- a problem that depends on the order's data (required but rendered empty, too long or
  too short for Zalo, the host's code raising) is a warning naming the orders when only
  some of them have it, and the binding may be saved. When every order checked has it,
  it is refused: with the chosen order; with the newest orders, with the hint to choose an
  order that has reached the event (the chosen order then decides), except a value
  rendered empty when the event's statuses are mapped and no order has one yet
  (:data:`BEFORE_EVENT`), which is a warning: a value such as the tracking code of a
  shipped order is empty on every order before it, there is no order to choose, and the
  orders at the event will be checked once there are some; with the sample, except a
  value rendered empty through a relation the sample leaves empty
  (:mod:`~zns_notify.bindings.sample_gaps`), which is a warning: the sample says nothing
  of it, and a real order will. An expression that renders for the real orders it is
  checked against is never refused.

For a user without ``zns_notify.view_full_phone`` the verdicts mask the checked orders'
phone numbers: the host's exception text may carry them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zns_notify.bindings import preview as binding_preview
from zns_notify.bindings.sample_gaps import sample_gap
from zns_notify.bindings.validation import (
    DATA_DEPENDENT,
    EMPTY,
    RenderedParam,
    condition_problem,
    render_each,
)
from zns_notify.conf import app_settings
from zns_notify.lib.phones import mask_phones
from zns_notify.rendering.conditions import holds

#: What :attr:`Checked.kind` says the orders checked are. BEFORE_EVENT: the newest orders,
#: because the event's statuses (ORDER_STATUS_EVENTS) are mapped and no order has one yet.
CHOSEN, AT_EVENT, BEFORE_EVENT, NEWEST, SAMPLE = "chosen", "event", "before", "newest", "sample"


@dataclass(frozen=True)
class Source:
    """One order a binding is checked against."""

    #: How messages name it: "order DH000042", "sample data".
    label: str
    #: The real order, the sample order, or None (no buildable ORDER_MODEL).
    order: Any
    real: bool


@dataclass(frozen=True)
class Checked:
    """The orders checked, and the sentence that tells the operator which."""

    sources: list[Source]
    note: str
    #: CHOSEN, AT_EVENT, BEFORE_EVENT, NEWEST or SAMPLE.
    kind: str = SAMPLE
    #: The binding's event (named when no order has reached it yet).
    event: str = ""

    @property
    def drawn(self) -> Source:
        """The one the preview draws: the chosen order, the newest checked, or the sample."""
        return self.sources[0]


def checked_orders(
    chosen: Any | None = None,
    *,
    may_render_orders: bool = True,
    event: str = "",
    condition: str = "",
) -> Checked:
    """The orders saving checks (the module's docstring), given the order chosen in the
    preview (or None), the binding's event and its condition as posted."""
    if chosen is not None:
        source = _real(chosen)
        note = _("Saving checks %(what)s.") % {"what": source.label}
        return Checked([source], note, CHOSEN)
    recent, kind = _recent(event) if may_render_orders else ([], NEWEST)
    if recent and (condition := (condition or "").strip()) and not condition_problem(condition):
        recent = [order for order in recent if _may_hold(condition, order, event)]
        if not recent:
            note = _("None of the newest orders meets the condition: saving checks sample data.")
            return Checked([_sample()], note, SAMPLE)
    if recent:
        sources = [_real(order) for order in recent]
        return Checked(sources, _note(kind, len(recent), condition), kind, event)
    if may_render_orders and binding_preview.order_model() is not None:
        note = _("Saving checks sample data (there are no orders yet).")
        return Checked([_sample()], note, SAMPLE)
    return Checked([_sample()], _("Saving checks sample data."), SAMPLE)


def _recent(event: str) -> tuple[list[Any], str]:
    """The newest orders whose status fires ``event``, else the newest orders: BEFORE_EVENT
    when the statuses are mapped and the orders could be filtered by them, but none has
    one, NEWEST when nothing is known of the event."""
    statuses = [
        status for status, fired in app_settings.ORDER_STATUS_EVENTS.items() if fired == event
    ]
    at_event = binding_preview.recent_order_objects(statuses=statuses) if statuses else None
    if at_event:
        return at_event, AT_EVENT
    kind = BEFORE_EVENT if at_event is not None else NEWEST
    return binding_preview.recent_order_objects() or [], kind


def _may_hold(condition: str, order: Any, event: str) -> bool:
    """False only when the condition is known not to hold: an order it fails on (the
    host's code raising) is checked, since nothing says its message is not sent."""
    try:
        return holds(condition, binding_preview.context_for(order, event))
    except Exception:  # noqa: BLE001 the host's model code runs inside the condition
        return True


def _note(kind: str, count: int, condition: str) -> str:
    if kind in (NEWEST, BEFORE_EVENT):
        return ngettext(
            "Saving checks the newest order.", "Saving checks the %(count)d newest orders.", count
        ) % {"count": count}
    if condition:
        return ngettext(
            "Saving checks the newest order whose status fires this event and meets the condition.",
            "Saving checks the %(count)d newest orders whose status fires this event and "
            "meet the condition.",
            count,
        ) % {"count": count}
    return ngettext(
        "Saving checks the newest order whose status fires this event.",
        "Saving checks the %(count)d newest orders whose status fires this event.",
        count,
    ) % {"count": count}


def _sample() -> Source:
    return Source(_("sample data"), binding_preview.sample_order(), False)


def _real(order: Any) -> Source:
    return Source(_("order %(order)s") % {"order": binding_preview.order_label(order)}, order, True)


@dataclass(frozen=True)
class Verdict:
    """What saving makes of one param: refused (why), or allowed with a warning, or fine."""

    refused: str = ""
    warning: str = ""


def verdicts(
    expressions: dict[str, str],
    specs: dict,
    event: str,
    checked: Checked,
    *,
    mask: bool = False,
) -> dict[str, Verdict]:
    """Each param of ``expressions`` rendered against every order checked, judged by the
    rule of this module's docstring; with ``mask``, the checked orders' phone numbers
    masked in what it says."""
    contexts = [binding_preview.context_for(source.order, event) for source in checked.sources]
    per_source = [
        (source, render_each(expressions, specs, context))
        for source, context in zip(checked.sources, contexts, strict=True)
    ]
    judged = {
        name: _judge(
            expressions[name], [(source, results[name]) for source, results in per_source], checked
        )
        for name in expressions
    }
    if not mask:
        return judged
    phones = [c["phone"] for c, s in zip(contexts, checked.sources, strict=True) if s.real]
    return {name: _masked(verdict, phones) for name, verdict in judged.items()}


def _masked(verdict: Verdict, phones: list[str]) -> Verdict:
    refused, warning = verdict.refused, verdict.warning
    for phone in phones:
        if phone:
            refused, warning = mask_phones(refused, phone), mask_phones(warning, phone)
    return Verdict(refused=refused, warning=warning)


def _judge(
    expression: str, results: list[tuple[Source, RenderedParam]], checked: Checked
) -> Verdict:
    failing = [(source, result) for source, result in results if result.problem]
    for source, result in failing:
        if result.kind not in DATA_DEPENDENT:
            return Verdict(refused=_with(source.label, result.problem))
    if not failing:
        return Verdict()
    if len(failing) == len(results):
        return _all_fail(expression, failing[0], len(results), checked)
    by_problem: dict[str, list[str]] = {}
    for source, result in failing:
        by_problem.setdefault(result.problem, []).append(binding_preview.order_label(source.order))
    said = " ".join(
        ngettext(
            "For order %(orders)s: %(problem)s", "For orders %(orders)s: %(problem)s", len(refs)
        )
        % {"orders": ", ".join(refs), "problem": problem}
        for problem, refs in by_problem.items()
    )
    fine = len(results) - len(failing)
    return Verdict(
        warning=_(
            "%(problems)s It renders for %(fine)d of the %(count)d newest orders: saving is "
            "allowed, but such orders' messages would fail."
        )
        % {"problems": said, "fine": fine, "count": len(results)}
    )


def _all_fail(
    expression: str, first: tuple[Source, RenderedParam], count: int, checked: Checked
) -> Verdict:
    """Every order checked has the same kind of data-dependent problem (the docstring)."""
    source, result = first
    kind = checked.kind
    label = source.label
    if count > 1:
        label = _("each of the %(count)d newest orders") % {"count": count}
    said = _with(label, result.problem)
    if kind == SAMPLE and result.kind == EMPTY and (gap := sample_gap(expression)):
        return Verdict(
            warning=_(
                "%(problem)s Sample data has no %(relation)s rows, so it cannot tell: "
                "saving is allowed, and the preview checks it against real orders once "
                "there are some."
            )
            % {"problem": said, "relation": gap}
        )
    if kind == BEFORE_EVENT and result.kind == EMPTY:
        return Verdict(
            warning=_(
                "%(problem)s No order has reached %(event)s yet: saving is allowed, and it "
                "will be checked when one has. To check it now, choose an order in "
                "“Render with order”."
            )
            % {"problem": said, "event": checked.event}
        )
    if kind in (AT_EVENT, BEFORE_EVENT, NEWEST):
        return Verdict(
            refused=_(
                "%(problem)s To check it against an order that has reached this event, "
                "choose that order in “Render with order”."
            )
            % {"problem": said}
        )
    return Verdict(refused=said)


def _with(label: str, problem: str) -> str:
    return _("With %(source)s: %(problem)s") % {"source": label, "problem": problem}
