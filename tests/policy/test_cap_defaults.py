"""The recipient cap's defaults: transactional notices are never capped unless the shop says
so, care and promotion keep a daily cap, and a shop's partial dict tunes only what it names.

The suite's settings come from the demo; each test here starts from the app's own defaults
(no ``RECIPIENT_DAILY_CAP`` key at all), as a new shop has them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import checks

from tests.factories import BindingFactory, OrderFactory, TemplateFactory
from tests.policy.conftest import VN
from zns_notify.conf import DEFAULT_RECIPIENT_DAILY_CAP, app_settings
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.models import Message
from zns_notify.policy.checks import check_recipient_cap
from zns_notify.policy.rules import cap_for
from zns_notify.sending.send import deliver

pytestmark = pytest.mark.django_db(transaction=True)

NOON = dt.datetime(2026, 11, 22, 12, 0, tzinfo=VN)
ORDER_EVENTS = ("order_created", "order_paid", "order_shipped", "order_delivered")


@pytest.fixture
def cap_setting(settings):
    """Set ``RECIPIENT_DAILY_CAP`` (``cap_setting()``: leave it unset, the defaults)."""

    def configure(*value):
        values = {k: v for k, v in settings.ZNS_NOTIFY.items() if k != "RECIPIENT_DAILY_CAP"}
        if value:
            values["RECIPIENT_DAILY_CAP"] = value[0]
        settings.ZNS_NOTIFY = values

    configure()
    return configure


def place_and_fulfil(**order) -> None:
    """One order through every status with a message each, as the demo shop moves it."""
    placed = OrderFactory(**order)
    placed.mark_paid()
    placed.mark_shipped(carrier="GHN", tracking_code="GHN123", eta=dt.date(2026, 11, 24))
    placed.mark_delivered()


def test_defaults_cap_care_and_promotion_but_never_transactions(cap_setting):
    caps = app_settings.RECIPIENT_DAILY_CAP
    assert caps == DEFAULT_RECIPIENT_DAILY_CAP
    assert cap_for("TRANSACTION", caps) == 0
    assert cap_for("CUSTOMER_CARE", caps) == 5
    assert cap_for("PROMOTION", caps) == 3
    # A tag the app does not know (a template not synced yet): not capped either, so an
    # order notice is never dropped for a missing tag.
    assert cap_for("", caps) == 0


def test_a_repeat_customers_second_order_the_same_day_gets_every_notice(
    account, zalo_api, clock, cap_setting
):
    clock(NOON)
    template = TemplateFactory(tag="TRANSACTION")
    for event in ORDER_EVENTS:
        BindingFactory(event=event, template=template)
    place_and_fulfil(phone="0912 345 678")
    place_and_fulfil(phone="+84 912 345 678")  # the same customer, written another way
    keys = list(Message.objects.order_by("pk").values_list("idempotency_key", flat=True))
    assert len(keys) == 8
    for n, key in enumerate(keys):
        zalo_api.send_ok(msg_id=f"order-notice-{n}")
        deliver(key)
    sent = Message.objects.filter(status=Message.Status.SENT, phone="84912345678")
    assert sent.count() == 8
    assert not Message.objects.filter(status=Message.Status.SKIPPED).exists()


def test_care_messages_are_still_capped_by_default(account, zalo_api, clock, cap_setting):
    clock(NOON)
    template = TemplateFactory(tag="CUSTOMER_CARE")
    BindingFactory(event="order_created", template=template)
    for _ in range(6):
        OrderFactory()
    for n, key in enumerate(
        Message.objects.order_by("pk").values_list("idempotency_key", flat=True)
    ):
        if n < 5:
            zalo_api.send_ok(msg_id=f"care-{n}")
        deliver(key)
    statuses = list(Message.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == [Message.Status.SENT] * 5 + [Message.Status.SKIPPED]


def test_a_partial_dict_tunes_only_the_tags_it_names(cap_setting):
    cap_setting({"PROMOTION": 1})
    assert app_settings.RECIPIENT_DAILY_CAP == {
        "TRANSACTION": 0,
        "CUSTOMER_CARE": 5,
        "PROMOTION": 1,
    }
    cap_setting({"CUSTOMER_CARE": None, "TRANSACTION": 20})  # None and 0: not capped
    assert app_settings.RECIPIENT_DAILY_CAP == {
        "TRANSACTION": 20,
        "CUSTOMER_CARE": 0,
        "PROMOTION": 3,
    }


def test_one_number_or_a_star_caps_every_tag_as_written(cap_setting):
    cap_setting(4)
    assert app_settings.RECIPIENT_DAILY_CAP == {"*": 4}
    assert cap_for("TRANSACTION", app_settings.RECIPIENT_DAILY_CAP) == 4
    cap_setting({"*": 2, "TRANSACTION": 0})  # "*": every tag not named; no defaults
    assert app_settings.RECIPIENT_DAILY_CAP == {"*": 2, "TRANSACTION": 0}
    assert cap_for("CUSTOMER_CARE", app_settings.RECIPIENT_DAILY_CAP) == 2
    cap_setting(0)
    assert cap_for("PROMOTION", app_settings.RECIPIENT_DAILY_CAP) == 0


@pytest.mark.parametrize(
    ("value", "cap"),
    [(5, 5), ({"*": 3}, 3), ({"TRANSACTION": 10}, 10), ({"*": 2, "PROMOTION": 1}, 2)],
)
def test_a_cap_on_transactions_is_warned_about(cap_setting, value, cap):
    cap_setting(value)
    [warning] = check_recipient_cap()
    assert warning.id == "zns_notify.W040"
    assert f"TRANSACTION messages at {cap} a day" in warning.msg
    assert "RECIPIENT_DAILY_CAP" in warning.msg and "CUSTOMER_CARE" in warning.hint


@pytest.mark.parametrize(
    "value", [None, 0, {"PROMOTION": 1}, {"*": 3, "TRANSACTION": 0}, {"TRANSACTION": None}]
)
def test_no_warning_while_transactions_are_uncapped(cap_setting, value):
    if value is not None:
        cap_setting(value)
    assert check_recipient_cap() == []


def test_the_check_is_registered(cap_setting):
    cap_setting(5)
    assert "zns_notify.W040" in {message.id for message in checks.run_checks()}


@pytest.mark.parametrize("value", ["five", -1, {"PROMOTION": "many"}, {"PROMOTION": -2}, True])
def test_an_unreadable_cap_is_refused_naming_the_setting(cap_setting, value):
    cap_setting(value)
    with pytest.raises(ZnsConfigurationError, match="RECIPIENT_DAILY_CAP"):
        _ = app_settings.RECIPIENT_DAILY_CAP
    [error] = check_recipient_cap()
    assert error.id == "zns_notify.E040" and "whole number" in error.msg
