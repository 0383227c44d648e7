"""Where the sample order cannot stand in for a real one: the relations it leaves empty.

:func:`~zns_notify.bindings.preview.sample_order` fills the order's forward foreign keys
to :data:`~zns_notify.bindings.preview.SAMPLE_DEPTH` steps; its reverse relations
(``order.lines``) and many-to-many relations read as empty, since rows pointing at an
unsaved sample cannot exist. An expression that renders empty on the sample through such
a relation says nothing about the shop's real orders, while one that renders empty
otherwise (a mistyped ``{{ order.custmer_name }}``) is as empty for every order.
"""

from __future__ import annotations

import re

from zns_notify.bindings.preview import SAMPLE_DEPTH, order_model

#: ``order.a.b.c`` in an expression (in a variable, a tag or a filter's argument).
_ORDER_PATH = re.compile(r"\border((?:\.\w+)+)")


def sample_gap(expression: str) -> str:
    """The first relation ``expression`` reads through that the sample leaves empty
    (``"lines"``), or "" when it reads none."""
    model = order_model()
    if model is None:
        return ""
    for match in _ORDER_PATH.finditer(expression or ""):
        if gap := _gap_on_path(model, match.group(1).strip(".").split(".")):
            return gap
    return ""


def _gap_on_path(model, steps: list[str]) -> str:
    depth = 0
    for step in steps:
        relation = _relation(model, step)
        if relation is None:
            return ""  # a field, a property or a method: the sample has it or nothing can say
        if relation.many_to_many or relation.one_to_many or not relation.concrete:
            return step  # reverse or many-to-many: empty on an unsaved sample
        depth += 1
        if depth > SAMPLE_DEPTH:
            return step  # past the depth the sample fills
        model = relation.related_model
        if not isinstance(model, type):
            return ""
    return ""


def _relation(model, step: str):
    """The relation ``model.<step>`` follows (forward, reverse by its accessor), or None."""
    for f in model._meta.get_fields():
        if not f.is_relation:
            continue
        name = f.get_accessor_name() if f.auto_created and not f.concrete else f.name
        if name == step:
            return f
    return None
