"""The one template engine of bindings (parameters, conditions, SMS texts): variables, an
explicit list of tags and filters, and bounded work and output while rendering.

Django's full built-in set let a view-only staff user render ``{% lorem 10000000 w %}`` in
the editor's preview (4.5 s, a 148 MB answer) and ``{% debug %}`` print the context."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, TemplateSyntaxError

from zns_notify.exceptions import ZnsRenderError
from zns_notify.rendering import engine
from zns_notify.rendering.conditions import compile_condition, holds
from zns_notify.rendering.params import compile_expression, render_compiled, render_params

REFUSED_TAGS = [
    "lorem",
    "debug",
    "load",
    "include",
    "extends",
    "ssi",
    "url",
    "csrf_token",
    "now",
    "cycle",
    "widthratio",
    "templatetag",
    "spaceless",
    "autoescape",
    "filter",
    "regroup",
    "ifchanged",
    "verbatim",
    "block",
    "resetcycle",
    "querystring",
]

REFUSED_FILTERS = [
    "ljust",
    "rjust",
    "center",
    "stringformat",
    "wordwrap",
    "make_list",
    "linenumbers",
    "add",
    "pprint",
    "urlize",
    "filesizeformat",
    "safe",
]


def spec(max_length=5000):
    return {"require": False, "max_length": max_length, "accept_null": True}


def refusal(expression: str, context: dict | None = None) -> str:
    with pytest.raises(ZnsRenderError) as err:
        render_params({"p": expression}, {"p": spec()}, context or {})
    return str(err.value)


# -- what a binding may write --------------------------------------------------------------


@pytest.mark.parametrize("tag", REFUSED_TAGS)
def test_a_tag_outside_the_list_is_refused_naming_it_and_the_allowed_ones(tag):
    with pytest.raises(TemplateSyntaxError) as err:
        compile_expression("{% " + tag + " 10000000 w %}")
    message = str(err.value)
    assert f'"{tag}" is not allowed in a binding' in message
    assert "Allowed tags: if, elif, else, for, empty, with, firstof" in message


def test_a_refused_tag_inside_an_allowed_block_is_named_too():
    with pytest.raises(TemplateSyntaxError, match='"lorem" is not allowed'):
        compile_expression("{% if customer_name %}{% lorem 10000000 w %}{% endif %}")


def test_a_stray_closing_tag_keeps_django_s_own_explanation():
    with pytest.raises(TemplateSyntaxError) as err:
        compile_expression("{% endif %}")
    assert "is not allowed" not in str(err.value)


@pytest.mark.parametrize("name", REFUSED_FILTERS)
@pytest.mark.parametrize(
    "where",
    [
        "{{ customer_name|NAME:'9' }}",
        "{% with x=customer_name|NAME:'9' %}{{ x }}{% endwith %}",
        "{% for x in customer_name|NAME:'9' %}{{ x }}{% endfor %}",
        "{% if customer_name|NAME:'9' %}1{% endif %}",
        "{% firstof customer_name|NAME:'9' %}",
    ],
)
def test_a_filter_outside_the_list_is_refused_wherever_it_is(name, where):
    with pytest.raises(TemplateSyntaxError) as err:
        compile_expression(where.replace("NAME", name))
    message = str(err.value)
    assert f'The filter "{name}" is not allowed in a binding' in message
    assert "Allowed filters:" in message and "zns_truncate" in message


def test_a_condition_uses_the_same_list():
    with pytest.raises(TemplateSyntaxError, match='"ljust" is not allowed'):
        compile_condition('order.status|ljust:"100000000" == "x"')
    assert holds('status|upper == "NEW"', {"status": "new"})


def test_an_over_long_expression_is_refused_before_it_is_parsed():
    source = "{{ customer_name }}" * (engine.MAX_SOURCE_CHARS // 10)
    with pytest.raises(TemplateSyntaxError) as err:
        compile_expression(source)
    assert f"at most {engine.MAX_SOURCE_CHARS} characters" in str(err.value)
    with pytest.raises(TemplateSyntaxError, match="at most"):
        compile_condition("a == 1 and " * 1000 + "b")


ORDER = {
    "customer_name": "Nguyễn Thị Lan",
    "order_code": "DH000123",
    "total": 1250000,
    "ratio": 2.5,
    "paid_at": dt.datetime(2026, 11, 21, 18, 30, tzinfo=dt.UTC),
    "day": dt.date(2026, 11, 21),
    "note": "",
    "items": ["Áo", "Quần", "Mũ"],
    "event": "order_paid",
}


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("{{ customer_name|zns_truncate:30 }}", "Nguyễn Thị Lan"),
        ("{{ total|vnd }} đ", "1.250.000 đ"),
        ("{{ paid_at|zns_datetime }}", "01:30 22/11/2026"),
        ("{{ paid_at|zns_date }} {{ paid_at|zns_time }}", "22/11/2026 01:30"),
        ("{{ note|default:'Không có' }}", "Không có"),
        ("{{ note|default_if_none:'x' }}|", "|"),
        ("{{ customer_name|truncatechars:8 }}", "Nguyễn …"),
        ("{{ customer_name|upper }} {{ order_code|lower }}", "NGUYỄN THỊ LAN dh000123"),
        ("{{ 'lan'|title }}{{ 'x'|capfirst }}", "LanX"),
        ("{{ ratio|floatformat:2 }}", "2.50"),
        ("{{ items|join:', ' }} ({{ items|length }})", "Áo, Quần, Mũ (3)"),
        ("{{ items|first }}{{ items|last }}{{ items|slice:':2'|join:'' }}", "ÁoMũÁoQuần"),
        ("{{ paid|yesno:'đã trả,chưa trả' }}", "chưa trả"),
        ("{{ items|length }} món{{ items|length|pluralize }}", "3 móns"),
        ("{{ 'a b c'|truncatewords:2 }}|{{ 'a-b'|cut:'-' }}", "a b …|ab"),
        ("{{ day|date:'d/m/Y' }}", "21/11/2026"),
        (
            "{% if total > 1000000 %}lớn{% elif total %}nhỏ{% else %}không{% endif %}",
            "lớn",
        ),
        ("{% for x in items %}{{ forloop.counter }}.{{ x }} {% endfor %}", "1.Áo 2.Quần 3.Mũ"),
        ("{% for x in missing %}{{ x }}{% empty %}trống{% endfor %}", "trống"),
        ("{% with name=customer_name|upper %}{{ name }}{% endwith %}", "NGUYỄN THỊ LAN"),
        ("{% firstof note customer_name %}", "Nguyễn Thị Lan"),
        ("{# a note for the next reader #}{{ order_code }}", "DH000123"),
    ],
)
def test_what_bindings_need_still_renders(expression, expected):
    assert render_params({"p": expression}, {"p": spec()}, ORDER)["p"] == expected


# -- bounded work and output ---------------------------------------------------------------


def test_floatformat_takes_a_bounded_number_of_places():
    assert "decimal places" in refusal("{{ ratio|floatformat:'100000000' }}", ORDER)
    assert "decimal places" in refusal("{{ ratio|floatformat:'-100000000g' }}", ORDER)
    assert render_params({"p": "{{ ratio|floatformat:'-3g' }}"}, {"p": spec()}, ORDER)


def test_join_is_refused_before_it_builds_an_over_long_text():
    reason = refusal("{{ long|join:sep }}", {"long": "x" * 3000, "sep": "y" * 3000})
    assert reason.startswith("Parameter p: rendering stopped (")
    assert f"longer than {engine.MAX_OUTPUT_CHARS} characters" in reason


def test_the_output_is_capped_while_it_is_rendered():
    reason = refusal("{% for a in long %}{{ long }}{% endfor %}", {"long": "x" * 900})
    assert f"longer than {engine.MAX_OUTPUT_CHARS} characters" in reason


def test_loops_that_write_nothing_are_bounded_too():
    source = "{% for a in s %}{% for b in s %}{% for c in s %}{% endfor %}{% endfor %}{% endfor %}"
    reason = refusal(source, {"s": "x" * 100})  # a million iterations unbounded
    assert "too much work" in reason and str(engine.MAX_STEPS) in reason


def test_chained_filters_count_as_work():
    chain = "|upper|lower" * 150
    source = "{% for a in s %}{% if s" + chain + " %}{% endif %}{% endfor %}"
    assert "too much work" in refusal(source, {"s": "x" * 500})


def test_a_condition_is_bounded_the_same_way():
    with pytest.raises(engine.RenderLimitExceeded):
        holds("long|join:long", {"long": "x" * 3000})


def test_each_render_has_its_own_budget():
    template = compile_expression("{% for a in s %}{{ a }}{% endfor %}")
    for _ in range(20):  # 20 x 900 characters: each render far below its own limits
        context = Context({"s": "x" * 900}, autoescape=False)
        assert render_compiled(template, context) == "x" * 900


def test_a_stored_expression_outside_the_list_fails_at_render_with_the_reason():
    """Rows saved before the list existed: the message fails naming the tag, and the
    context is never printed."""
    reason = refusal("{% debug %}", {"secret": "do-not-print"})
    assert '"debug" is not allowed in a binding' in reason
    assert "do-not-print" not in reason
