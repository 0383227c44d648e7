"""The binding engine's budget counts the work a render does while it does it: each loop
turn as it comes, each variable lookup and each call on the order's read-only view.

Before, a loop spent all its turns up front and nothing inside a turn cost anything, so
``{% for c in "…3,900 characters…" %}{% if order.customer.orders.count %}{% endif %}
{% endfor %}`` ran 3,900 COUNT queries in one preview render, the clock was read only
when a step was spent, and ``len()`` of a related set loaded all of it first."""

from __future__ import annotations

import types

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.template import Context
from django.test.utils import CaptureQueriesContext

from demo_shop.shop.models import Customer, Order
from tests.factories import OrderFactory
from zns_notify.rendering import engine
from zns_notify.rendering.conditions import holds, read_only
from zns_notify.rendering.params import render_compiled

pytestmark = pytest.mark.django_db


@pytest.fixture
def order() -> Order:
    customer = Customer.objects.create(full_name="Nguyễn Thị Lan", phone="0912 345 678")
    return OrderFactory(customer=customer)


def render(source: str, **context) -> str:
    template = engine.compile_source(source)
    return render_compiled(template, Context(context, autoescape=False))


def refusal(source: str, **context) -> str:
    with pytest.raises(engine.RenderLimitExceeded) as err:
        render(source, **context)
    return str(err.value)


def stopped_by_a_limit(reason: str) -> bool:
    """The step limit, or on a slow machine the time limit: whichever comes first."""
    return "too much work" in reason or "longer than" in reason


COUNT_IN_A_LOOP = "{% if order.customer.orders.count %}{% endif %}"


def the_reviewed_loop() -> str:
    """The review's example: one loop over a literal as long as the source allows."""
    head, tail = '{% for c in "', '" %}' + COUNT_IN_A_LOOP + "{% endfor %}"
    return head + "x" * (engine.MAX_SOURCE_CHARS - len(head) - len(tail)) + tail


def test_a_loop_of_counts_stops_within_the_budget(order):
    with CaptureQueriesContext(connection) as queries:
        reason = refusal(the_reviewed_loop(), order=read_only(order))
    assert stopped_by_a_limit(reason)
    # Each turn is a step, and reading order.customer.orders.count is more: well under one
    # query per turn the loop asked for.
    assert len(queries) < engine.MAX_STEPS // 2


def test_nested_loops_of_counts_run_at_most_a_share_of_the_budget_in_queries(order):
    source = "{% for a in s %}{% for b in s %}" + COUNT_IN_A_LOOP + "{% endfor %}{% endfor %}"
    with CaptureQueriesContext(connection) as queries:
        reason = refusal(source, s="x" * 100, order=read_only(order))
    assert stopped_by_a_limit(reason)
    assert len(queries) < engine.MAX_STEPS // 2


def test_the_clock_is_read_at_each_loop_turn(monkeypatch):
    """A loop that writes nothing still stops at the time limit: a clock that moves 10 ms
    each time it is read stands in for slow turns."""
    ticks = iter(range(1_000_000))
    clock = types.SimpleNamespace(monotonic=lambda: next(ticks) / 100)
    monkeypatch.setattr(engine, "time", clock)
    reason = refusal("{% for a in s %}{% endfor %}", s="x" * 500)
    assert f"longer than {engine.MAX_RENDER_SECONDS} seconds" in reason
    assert next(ticks) < 500  # stopped part-way, not after the loop


def test_each_turn_is_a_step_as_it_comes():
    # 100 outer and 100 x 100 inner turns: past the budget in the last outer turns.
    source = "{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}"
    assert "too much work" in refusal(source, s="x" * 100)
    assert render("{% for a in s %}{{ a }}{% endfor %}", s="abc") == "abc"
    assert render("{% for a in s reversed %}{{ a }}{% endfor %}", s="abc") == "cba"
    assert render("{% for a in s %}{{ a }}{% empty %}-{% endfor %}", s="") == "-"


@pytest.fixture
def small_budget(monkeypatch):
    monkeypatch.setattr(engine, "MAX_STEPS", 40)
    return engine.MAX_STEPS


@pytest.fixture
def loaded(monkeypatch):
    """How many orders the render built from database rows."""
    built = []

    def count(sender, **kwargs):
        built.append(kwargs["instance"])

    post_init.connect(count, sender=Order)
    yield built
    post_init.disconnect(count, sender=Order)


@pytest.mark.parametrize(
    "source",
    [
        "{% for o in order.customer.orders.all %}{% endfor %}",
        "{% for o in order.customer.orders.all reversed %}{% endfor %}",
        "{{ order.customer.orders.all|length }}",
        "{{ order.customer.orders.all|join:',' }}",
    ],
)
def test_a_related_set_bigger_than_the_budget_is_not_loaded_whole(
    order, small_budget, loaded, source
):
    OrderFactory.create_batch(small_budget + 10, customer=order.customer)
    loaded.clear()
    reason = refusal(source, order=read_only(order))
    assert "too much work" in reason
    assert len(loaded) <= small_budget + 1


def test_a_related_set_s_truth_reads_one_row(order, small_budget, loaded):
    OrderFactory.create_batch(small_budget + 10, customer=order.customer)
    loaded.clear()
    assert render("{% if order.customer.orders.all %}yes{% endif %}", order=read_only(order))
    assert len(loaded) <= 1
    assert holds("order.customer.orders.all", {"order": read_only(order)})


def test_a_related_set_within_the_budget_reads_as_before(order, small_budget):
    OrderFactory.create_batch(2, customer=order.customer)
    context = {"order": read_only(order)}
    assert render("{{ order.customer.orders.all|length }}", **context) == "3"
    assert render("{{ order.customer.orders.count }}", **context) == "3"
    codes = render("{% for o in order.customer.orders.all %}{{ o.code }} {% endfor %}", **context)
    assert sorted(codes.split()) == sorted(Order.objects.values_list("code", flat=True))
    assert holds("order.customer.orders.all|length == 3", context)
