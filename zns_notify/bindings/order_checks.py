"""What saving a binding renders its params against, and what it makes of the results.

The orders checked: the one chosen in the editor's preview; else the shop's newest orders
(:data:`~zns_notify.bindings.preview.RECENT_ORDERS`, the ones the editor offers); else,
with no orders yet (or for a user who may not render real orders), the sample order with
its related objects. The rule, per param:

- a problem of the expression itself (a render stopped at its limits, a syntax error, a
  param the template lacks or a required one not bound) is refused when it shows with any
  order checked;
- a problem that depends on the order's data (required but rendered empty, too long or
  too short for Zalo, the host's code raising) is refused only when every order checked
  has it; with some orders only, it is a warning
  naming them, and the binding may be saved. An expression that renders for the real
  orders it is checked against is never refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zns_notify.bindings import preview as binding_preview
from zns_notify.bindings.validation import DATA_DEPENDENT, RenderedParam, render_each


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

    @property
    def drawn(self) -> Source:
        """The one the preview draws: the chosen order, the newest, or the sample."""
        return self.sources[0]


def checked_orders(chosen: Any | None = None, *, may_render_orders: bool = True) -> Checked:
    """The orders saving checks, given the order chosen in the preview (or None)."""
    if chosen is not None:
        source = _real(chosen)
        return Checked([source], _("Saving checks %(what)s.") % {"what": source.label})
    recent = binding_preview.recent_order_objects() if may_render_orders else []
    if recent:
        sources = [_real(order) for order in recent]
        note = ngettext(
            "Saving checks the newest order.",
            "Saving checks the %(count)d newest orders.",
            len(sources),
        ) % {"count": len(sources)}
        return Checked(sources, note)
    sample = Source(_("sample data"), binding_preview.sample_order(), False)
    if may_render_orders and binding_preview.order_model() is not None:
        return Checked([sample], _("Saving checks sample data (there are no orders yet)."))
    return Checked([sample], _("Saving checks sample data."))


def _real(order: Any) -> Source:
    return Source(_("order %(order)s") % {"order": binding_preview.order_label(order)}, order, True)


@dataclass(frozen=True)
class Verdict:
    """What saving makes of one param: refused (why), or allowed with a warning, or fine."""

    refused: str = ""
    warning: str = ""


def verdicts(
    expressions: dict[str, str], specs: dict, event: str, checked: Checked
) -> dict[str, Verdict]:
    """Each param of ``expressions`` rendered against every order checked, judged by the
    rule of this module's docstring."""
    per_source = [
        (source, render_each(expressions, specs, binding_preview.context_for(source.order, event)))
        for source in checked.sources
    ]
    return {
        name: _judge(name, [(source, results[name]) for source, results in per_source], checked)
        for name in expressions
    }


def _judge(name: str, results: list[tuple[Source, RenderedParam]], checked: Checked) -> Verdict:
    failing = [(source, result) for source, result in results if result.problem]
    for source, result in failing:
        if result.kind not in DATA_DEPENDENT:
            return Verdict(refused=_with(source.label, result.problem))
    if not failing:
        return Verdict()
    if len(failing) == len(results):
        source, result = failing[0]
        label = source.label
        if len(results) > 1:
            label = _("each of the %(count)d newest orders") % {"count": len(results)}
        return Verdict(refused=_with(label, result.problem))
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


def _with(label: str, problem: str) -> str:
    return _("With %(source)s: %(problem)s") % {"source": label, "problem": problem}
