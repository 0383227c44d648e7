"""The one template engine of bindings: every parameter expression, condition and SMS text
is compiled here (docs/templates.md, "What a binding may write").

Django's full built-in set is no place for text that staff type in a browser: ``{% lorem
10000000 w %}`` made a 148 MB answer in the editor's preview, ``{% debug %}`` printed the
context, ``|ljust:"100000000"`` builds a string of that length. So a binding gets
variables, the tags and filters listed below and nothing else; anything else is refused
when it is compiled, naming it (a saved binding from before the list fails its messages
with that reason), and each render is bounded: its source, its output, its work (loop
turns, variable lookups, written values, filter calls, calls on the order's read-only view)
and its time. Python cannot interrupt a thread that computes, so the bounds are checked as
the render goes, before the next step: a loop spends each turn as it comes, so the clock is
read at every turn however little the turn writes.
"""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Callable
from functools import lru_cache
from itertools import islice
from typing import Any

from django.db.models import QuerySet
from django.template import Engine, Library, TemplateSyntaxError, defaultfilters, defaulttags
from django.template.base import Lexer, Node, Parser, Template, Variable
from django.utils.translation import gettext as _

from zns_notify.rendering import filters as zns_filters

#: The longest expression, condition or SMS text (characters), refused before it is parsed.
MAX_SOURCE_CHARS = 4000
#: The most one expression may write (characters); longer than any Zalo parameter and than
#: a 26-segment SMS.
MAX_OUTPUT_CHARS = 4000
#: The most steps one render may take: a loop's turns, each variable lookup (``order.customer``
#: is two), each value written, each filter call, each call or query on the read-only order.
MAX_STEPS = 10_000
#: Past this, the render stops at its next step, whatever it is doing.
MAX_RENDER_SECONDS = 1.0
#: ``floatformat``'s precision is the length of what it writes.
MAX_DECIMAL_PLACES = 20

#: The tags a binding may use, as the error names them (their end tags go with them).
ALLOWED_TAGS = ("if", "elif", "else", "for", "empty", "with", "firstof")
#: Django's filters a binding may use; none of them writes much more than it reads (those
#: that could are bounded below). zns_notify's own filters come on top.
DJANGO_FILTERS = (
    "capfirst",
    "cut",
    "date",
    "default",
    "default_if_none",
    "first",
    "floatformat",
    "join",
    "last",
    "length",
    "lower",
    "pluralize",
    "slice",
    "time",
    "title",
    "truncatechars",
    "truncatewords",
    "upper",
    "yesno",
)
#: The words inside or closing an allowed tag: out of place, Django's own message says why.
_INNER_WORDS = frozenset({"elif", "else", "endif", "empty", "endfor", "endwith"})


class TemplateNotAllowed(TemplateSyntaxError):
    """The source uses a tag or filter outside the binding engine's list, or is too long."""


class RenderLimitExceeded(Exception):
    """A render went past :data:`MAX_OUTPUT_CHARS`, :data:`MAX_STEPS` or
    :data:`MAX_RENDER_SECONDS`; the message says which."""


class _Budget:
    """What one render has spent. A limit, once passed, stays passed: Django's ``if`` turns
    an operator's exception into False, so the render checks the budget again at its end."""

    __slots__ = ("steps", "written", "deadline", "exceeded")

    def __init__(self):
        self.steps = 0
        self.written = 0
        self.deadline = time.monotonic() + MAX_RENDER_SECONDS
        self.exceeded = ""

    def fail(self, reason: str) -> None:
        self.exceeded = self.exceeded or reason
        raise RenderLimitExceeded(self.exceeded)

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.exceeded:
            raise RenderLimitExceeded(self.exceeded)
        if self.steps > MAX_STEPS:
            self.fail(too_much_work())
        if time.monotonic() > self.deadline:
            self.fail(
                _("rendering took longer than %(seconds)s seconds")
                % {"seconds": MAX_RENDER_SECONDS}
            )

    def write(self, chars: int) -> None:
        self.written += chars
        if self.written > MAX_OUTPUT_CHARS:
            self.fail(too_long())
        self.step()


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "zns_binding_budget", default=None
)


def too_long() -> str:
    return _("the text would be longer than %(max)d characters, the most a binding may write") % {
        "max": MAX_OUTPUT_CHARS
    }


def too_much_work() -> str:
    return _("too much work: more than %(max)d loop turns, values and filters") % {"max": MAX_STEPS}


def spend(count: int = 1) -> None:
    """``count`` steps of the render under way: past a limit, RenderLimitExceeded."""
    budget = _budget.get()
    if budget is not None:  # None: a filter function called outside a binding's render
        budget.step(count)


def bounded_rows(queryset: QuerySet) -> list:
    """The rows of ``queryset`` as a binding reads them (``len``, a loop, ``|join``): one
    step for the query, which asks for one row more than the budget has steps, so a related
    set of a million rows is never loaded; more rows than that fail the render."""
    spend()
    rows = list(queryset[: MAX_STEPS + 1])
    if len(rows) > MAX_STEPS:
        _fail(too_much_work())
    return rows


# -- the allowed tags and filters ----------------------------------------------------------


def _bounded_filter(func: Callable, check: Callable | None = None) -> Callable:
    """``func`` as a binding calls it: one step, ``check`` first, its text bounded. wraps()
    keeps the flags Django reads (is_safe, needs_autoescape, expects_localtime) and the
    signature Django checks the arguments against (through __wrapped__)."""

    @functools.wraps(func)
    def bounded(*args, **kwargs):
        spend()
        if check is not None:
            check(*args)
        result = func(*args, **kwargs)
        if isinstance(result, str) and len(result) > MAX_OUTPUT_CHARS:
            _fail(too_long())
        return result

    return bounded


def _fail(reason: str) -> None:
    budget = _budget.get()
    if budget is not None:
        budget.fail(reason)
    raise RenderLimitExceeded(reason)


def _check_places(value: Any, arg: Any = -1) -> None:
    digits = str(arg).rstrip("gu")  # floatformat's suffixes: grouping, unlocalized
    try:
        places = int(digits)
    except ValueError:
        return  # floatformat writes the value unchanged
    if abs(places) > MAX_DECIMAL_PLACES:
        _fail(_("floatformat takes at most %(max)d decimal places") % {"max": MAX_DECIMAL_PLACES})


def _check_join(value: Any, arg: Any, autoescape: bool = True) -> None:
    try:
        count = len(value)
    except TypeError:
        return
    if count > 1 and (count - 1) * len(str(arg)) > MAX_OUTPUT_CHARS:
        _fail(too_long())  # before join builds it


_CHECKS = {"floatformat": _check_places, "join": _check_join}


class _CountedSequence:
    """A ``for`` loop's sequence: a loop that cannot finish within the budget fails before
    its first turn; the others spend each turn as it comes (:class:`_Turns`)."""

    def __init__(self, inner):
        self.inner = inner

    def resolve(self, context, ignore_failures=False):
        values = self.inner.resolve(context, ignore_failures=ignore_failures)
        if values is None:
            return values
        if isinstance(values, QuerySet):  # ForNode would load it whole for its len()
            values = bounded_rows(values)
        elif not hasattr(values, "__len__"):  # ForNode would list() it: never past the budget
            values = list(islice(values, MAX_STEPS + 1))
        budget = _budget.get()
        if budget is not None and budget.steps + len(values) > MAX_STEPS:
            budget.fail(too_much_work())
        return _Turns(values)

    def __str__(self) -> str:
        return str(self.inner)


class _Turns:
    """What ForNode walks: its length, and one step (the clock read) at each turn, so the
    work inside the turns counts before the next one starts."""

    __slots__ = ("values",)

    def __init__(self, values):
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self):
        return self._each(iter(self.values))

    def __reversed__(self):
        return self._each(reversed(self.values))

    @staticmethod
    def _each(items):
        for item in items:
            spend()
            yield item


def _bounded_for(parser, token):
    node = defaulttags.register.tags["for"](parser, token)
    node.sequence = _CountedSequence(node.sequence)
    return node


def _library() -> Library:
    library = Library()
    for name in ("if", "with", "firstof"):
        library.tag(name, defaulttags.register.tags[name])
    library.tag("for", _bounded_for)
    for name in DJANGO_FILTERS:
        library.filters[name] = _bounded_filter(
            defaultfilters.register.filters[name], _CHECKS.get(name)
        )
    for name, func in zns_filters.register.filters.items():
        library.filters[name] = _bounded_filter(func)
    return library


# -- compiling -----------------------------------------------------------------------------

_CONTAINERS = (defaulttags.IfNode, defaulttags.ForNode, defaulttags.WithNode)


class _Counted(Node):
    """A node that writes (text, a value, ``firstof``): what it writes is spent."""

    child_nodelists = ()

    def __init__(self, node: Node):
        self.node = node

    def render(self, context):
        text = self.node.render_annotated(context)
        budget = _budget.get()
        if budget is not None:
            budget.write(len(text))
        return text

    def get_nodes_by_type(self, nodetype):
        return self.node.get_nodes_by_type(nodetype)

    def __repr__(self) -> str:
        return repr(self.node)


class _CountedVariable(Variable):
    """A variable with lookups (``order.customer.orders.count``): each lookup is a step,
    spent before it, since any of them may call a method or run a query."""

    __slots__ = ()

    def _resolve_lookup(self, context):
        spend(len(self.lookups))
        return super()._resolve_lookup(context)


def _count_lookups(value: Any) -> None:
    if type(value) is Variable and value.lookups is not None:
        value.__class__ = _CountedVariable  # the same object: FilterExpression keeps it


class _Parser(Parser):
    def compile_filter(self, token):
        expression = super().compile_filter(token)
        _count_lookups(expression.var)
        for _func, args in expression.filters:
            for _lookup, arg in args:
                _count_lookups(arg)
        return expression

    def find_filter(self, filter_name):
        if filter_name in self.filters:
            return self.filters[filter_name]
        raise TemplateNotAllowed(
            _('The filter "%(filter)s" is not allowed in a binding. Allowed filters: %(allowed)s.')
            % {"filter": filter_name, "allowed": ", ".join(sorted(self.filters))}
        )

    def invalid_block_tag(self, token, command, parse_until=None):
        if command in _INNER_WORDS:
            return super().invalid_block_tag(token, command, parse_until)
        raise self.error(
            token,
            TemplateNotAllowed(
                _('The tag "%(tag)s" is not allowed in a binding. Allowed tags: %(allowed)s.')
                % {"tag": command, "allowed": ", ".join(ALLOWED_TAGS)}
            ),
        )

    def extend_nodelist(self, nodelist, node, token):
        if not isinstance(node, _CONTAINERS):
            node.token, node.origin = token, self.origin
            node = _Counted(node)
        super().extend_nodelist(nodelist, node, token)


class BindingTemplate(Template):
    """A compiled binding: parsed with the allowed tags and filters only, rendered within
    the budget (``Template.render`` and ``params.render_compiled`` both go through
    ``_render``)."""

    def compile_nodelist(self):
        parser = _Parser(
            Lexer(self.source).tokenize(),
            self.engine.template_libraries,
            self.engine.template_builtins,
            self.origin,
        )
        nodelist = parser.parse()
        self.extra_data = parser.extra_data
        return nodelist

    def _render(self, context):
        budget = _Budget()
        token = _budget.set(budget)
        try:
            rendered = super()._render(context)
        finally:
            _budget.reset(token)
        if budget.exceeded:  # passed inside an if-operator, which answered False instead
            raise RenderLimitExceeded(budget.exceeded)
        return rendered


class _BindingEngine(Engine):
    default_builtins = []  # not Django's tags and filters: only the library below

    def __init__(self, string_if_invalid: str = ""):
        super().__init__(autoescape=False, string_if_invalid=string_if_invalid)
        self.template_builtins = [_library()]

    def from_string(self, template_code):
        return BindingTemplate(template_code, engine=self)


@lru_cache(maxsize=4)
def _engine(string_if_invalid: str = "") -> _BindingEngine:
    # A private engine: bindings must not depend on the host's TEMPLATES setting, and they
    # write plain text, so no HTML autoescaping.
    return _BindingEngine(string_if_invalid)


def check_length(source: str) -> None:
    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateNotAllowed(
            _(
                "A binding's text is %(length)d characters long; it may have at most "
                "%(max)d characters."
            )
            % {"length": len(source), "max": MAX_SOURCE_CHARS}
        )


def compile_source(source: str, *, string_if_invalid: str = "") -> BindingTemplate:
    """``source`` compiled for a binding; raises TemplateSyntaxError (TemplateNotAllowed for
    what the list refuses). ``string_if_invalid``: what an unknown variable writes."""
    check_length(source)
    return _engine(string_if_invalid).from_string(source)


def compile_if_expression(expression: str) -> BindingTemplate:
    """``{% if expression %}1{% endif %}``, the expression's length checked as typed."""
    check_length(expression)
    return _engine().from_string("{% if " + expression + " %}1{% endif %}")
