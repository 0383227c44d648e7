"""The binding editor's preview stays within the binding engine's limits for every user who
may open it: a staff user with only "view binding" posting ``{% lorem 10000000 w %}`` got a
148 MB answer after 4.5 s. Now: a quick, small answer naming what is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import BindingFactory, TemplateFactory
from tests.users import staff_user
from zns_notify.rendering import engine

pytestmark = pytest.mark.django_db

PREVIEW = "admin:zns_notify_binding_preview"
#: The preview's answer for a binding of three params is a few KB.
SMALL = 30_000

LONG_PARAMS = [
    {"name": name, "require": True, "type": "STRING", "max_length": 5000, "accept_null": False}
    for name in ("customer_name", "order_code", "total_amount")
]


def post(client, sms_text: str = "", condition: str = "", language="en", **params):
    binding = BindingFactory(template=TemplateFactory(params=LONG_PARAMS))
    data = {
        "name": binding.name,
        "event": binding.event,
        "template": binding.template.pk,
        "binding": binding.pk,
        "condition": condition,
        "sms_text": sms_text,
        **{f"param__{name}": value for name, value in {**binding.params, **params}.items()},
    }
    return client.post(reverse(PREVIEW), data, HTTP_ACCEPT_LANGUAGE=language)


@pytest.fixture
def viewer(client):
    staff_user("view_binding", client=client)
    return client


@pytest.mark.parametrize(
    "expression, named",
    [
        ("{% lorem 10000000 w %}", '"lorem" is not allowed'),
        ("{% debug %}", '"debug" is not allowed'),
        ("{{ customer_name|ljust:'100000000' }}", '"ljust" is not allowed'),
        ("{{ customer_name|stringformat:'100000000s' }}", '"stringformat" is not allowed'),
        (
            "{% for a in customer_name %}{% for b in customer_name %}{% for c in customer_name %}"
            "{% for d in customer_name %}{{ customer_name }}{% endfor %}{% endfor %}{% endfor %}"
            "{% endfor %}",
            "longer than",
        ),
        (
            "{% for a in customer_name %}{% for b in customer_name %}{% for c in customer_name %}"
            "{% for d in customer_name %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
            "too much work",
        ),
        ("{{ customer_name }}" * 500, f"at most {engine.MAX_SOURCE_CHARS} characters"),
    ],
)
def test_a_view_only_user_gets_a_small_refusal(viewer, expression, named):
    response = post(viewer, customer_name=expression)
    assert response.status_code == 200
    assert len(response.content) < SMALL
    answer = response.json()
    assert named in answer["params"]["customer_name"]["problem"]
    assert answer["params"]["customer_name"]["value"] == ""
    assert not answer["ok"]


def test_debug_never_prints_the_context(viewer):
    response = post(viewer, customer_name="{% debug %}", order_code="{% debug %}")
    assert "sys.modules" not in response.content.decode() and len(response.content) < SMALL


def test_the_sms_text_and_the_condition_are_bounded_too(viewer):
    response = post(
        viewer,
        sms_text="{% lorem 10000000 w %}",
        condition='customer_name|ljust:"100000000" == "x"',
    )
    assert len(response.content) < SMALL
    answer = response.json()
    assert '"lorem" is not allowed' in answer["sms"]["problem"]
    assert '"ljust" is not allowed' in answer["condition_problem"]


def test_the_refusal_speaks_the_operator_s_language(viewer):
    answer = post(viewer, customer_name="{% lorem 10000000 w %}", language="vi")
    problem = answer.json()["params"]["customer_name"]["problem"]
    assert 'Không được dùng thẻ "lorem" trong liên kết sự kiện' in problem
    assert "Các thẻ được phép: if, elif, else, for, empty, with, firstof" in problem
