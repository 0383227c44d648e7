"""rendering.params.render_compiled is Template.render without its context managers: same
output, same state."""

import pytest
from django.template import Context

from zns_notify.rendering.params import compile_expression, render_compiled

EXPRESSIONS = [
    "{{ customer_name }}",
    "{{ total|vnd }} đ",
    "{% if total > 1000 %}lớn{% else %}nhỏ{% endif %}",
    "{% with name=customer_name|upper %}{{ name }}{% endwith %}",
    # {% cycle %} (state kept in the render context) is no binding tag any more (docs/templates.md)
    "{% for x in items %}{% if forloop.first %}a{% else %}b{% endif %}{{ x }}{% endfor %}",
    "{% firstof missing customer_name as picked %}{{ picked }}",
    "{{ missing }}|{{ missing.attr }}",
]


@pytest.mark.parametrize("source", EXPRESSIONS)
def test_render_matches_template_render(source):
    values = {"customer_name": "Lan", "total": 1250000, "items": [1, 2, 3]}
    template = compile_expression(source)
    expected = template.render(Context(dict(values), autoescape=False))
    context = Context(dict(values), autoescape=False)
    assert render_compiled(template, context) == expected
    # Unbound and isolated again afterwards, so the next expression starts as it would.
    assert context.template is None
    assert context.render_context.template is None
    assert len(context.render_context.dicts) == 1
