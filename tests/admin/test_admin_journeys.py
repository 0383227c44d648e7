"""The journeys' admin list at scale: its messages are counted and priced for the page
shown, in one query whatever the page holds; its count never joins the messages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import TemplateFactory
from tests.journey_rows import billed_journey, journey_message
from tests.users import staff_user

pytestmark = pytest.mark.django_db

JOURNEYS = reverse("admin:zns_notify_journey_changelist")
NOW = timezone.now()


def a_journey_of_two(template) -> None:
    journey = billed_journey(NOW - dt.timedelta(hours=2))
    journey_message(NOW - dt.timedelta(hours=2), template, journey=journey)
    journey_message(NOW - dt.timedelta(hours=1), template, journey=journey)


@pytest.mark.parametrize("codenames", [("view_journey",), ("view_journey", "view_reports")])
def test_the_journeys_list_reads_its_page_in_as_many_queries_whatever_it_holds(client, codenames):
    staff_user(*codenames, client=client)
    template = TemplateFactory(template_id="100003", price=Decimal("300"))
    a_journey_of_two(template)
    with CaptureQueriesContext(connection) as few:
        assert client.get(JOURNEYS).status_code == 200
    for _n in range(6):
        a_journey_of_two(template)
    with CaptureQueriesContext(connection) as many:
        response = client.get(JOURNEYS)
    assert len(many) == len(few)
    assert all(j.zns_messages == 2 for j in response.context["cl"].result_list)
    # The list's count never joins the journeys' messages.
    counts = [q["sql"] for q in many.captured_queries if "COUNT(*)" in q["sql"].upper()]
    assert counts and not [sql for sql in counts if '"zns_notify_message"' in sql]
