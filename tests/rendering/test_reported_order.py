"""The read-only order built from a reported event, and the date filters reading ISO text."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zns_notify.rendering.filters import zns_date, zns_datetime, zns_time
from zns_notify.rendering.order_data import read_order
from zns_notify.rendering.reported_order import ReportedOrder


def order(**data) -> ReportedOrder:
    return ReportedOrder(
        order_ref="WEB-1",
        phone="0912345678",
        customer_name="Lan",
        total=Decimal("1250000"),
        data=data,
    )


def test_attributes_come_from_the_report():
    reported = order(carrier="GHN")
    assert (reported.pk, reported.code, reported.phone, reported.total, reported.carrier) == (
        "WEB-1",
        "WEB-1",
        "0912345678",
        Decimal("1250000"),
        "GHN",
    )
    with pytest.raises(AttributeError):
        reported.tracking_code  # noqa: B018  (absent: a binding expression renders it empty)


def test_it_reads_as_its_order_reference():
    assert str(order()) == "WEB-1"


def test_private_names_are_never_fields():
    with pytest.raises(AttributeError):
        ReportedOrder(order_ref="R", data={"_hidden": 1})._hidden  # noqa: B018


def test_it_cannot_be_changed():
    reported = order()
    with pytest.raises(AttributeError):
        reported.phone = "0987654321"
    with pytest.raises(AttributeError):
        reported.anything = 1


def test_it_brings_its_own_facts_whatever_the_order_accessors_say(settings):
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "ORDER_PHONE": "customer.mobile",
        "ORDER_CODE": "number",
    }
    facts = read_order(order())
    assert (
        facts.order_type,
        facts.order_pk,
        facts.order_ref,
        facts.raw_phone,
        facts.customer_name,
        facts.problem,
    ) == ("api.order", "WEB-1", "WEB-1", "0912345678", "Lan", "")


@pytest.mark.parametrize(
    "text,date,datetime,time",
    [
        ("2026-11-22", "22/11/2026", "22/11/2026", ""),
        ("2026-11-22T09:30:00+07:00", "22/11/2026", "09:30 22/11/2026", "09:30"),
        ("2026-11-21T23:30:00Z", "22/11/2026", "06:30 22/11/2026", "06:30"),
        ("2026-11-22 09:30", "22/11/2026", "09:30 22/11/2026", "09:30"),
        ("2026-02-30", "", "", ""),
        ("soon", "", "", ""),
    ],
)
def test_date_filters_read_iso_text(text, date, datetime, time):
    assert (zns_date(text), zns_datetime(text), zns_time(text)) == (date, datetime, time)
