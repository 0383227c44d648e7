"""A key of ORDER_STATUS_EVENTS that the status field can never hold never fires: `check`
warns (zns_notify.W009) with the values it can hold."""

from __future__ import annotations

from demo_shop.shop.models import Order
from zns_notify.checks import check_settings


def w009(settings, events, **values) -> list:
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_STATUS_EVENTS": events, **values}
    return [p for p in check_settings() if p.id == "zns_notify.W009"]


def test_a_status_the_field_cannot_hold_is_a_warning_listing_the_choices(settings):
    [problem] = w009(settings, {"new": "order_created", "Shiped": "order_shipped"})
    assert problem.msg.startswith("ZNS_NOTIFY[\"ORDER_STATUS_EVENTS\"] has the status 'Shiped'")
    assert "shop.Order.status" in problem.msg
    assert problem.hint == (
        "The values it can hold: 'new', 'paid', 'shipped', 'delivered', 'cancelled'."
    )


def test_each_unknown_status_gets_its_own_warning(settings):
    problems = w009(settings, {"payed": "order_paid", "PAID": "order_paid"})
    assert ["'payed'" in problems[0].msg, "'PAID'" in problems[1].msg] == [True, True]


def test_statuses_among_the_choices_pass(settings):
    events = {"new": "order_created", Order.Status.PAID: "order_paid", "cancelled": "x"}
    assert w009(settings, events, EXTRA_EVENTS={"x": "X"}) == []


def test_a_status_field_without_choices_is_not_second_guessed(settings):
    assert w009(settings, {"anything": "order_paid"}, ORDER_STATUS_FIELD="carrier") == []


def test_no_warning_when_the_status_field_itself_is_wrong(settings):
    # E003 says the field does not exist; a W009 on top would only repeat it.
    assert w009(settings, {"Shiped": "order_shipped"}, ORDER_STATUS_FIELD="state") == []
