"""The message log's admin stays fast at a million rows: no COUNT(*) over the table, filter
choices known without reading it, pages that still navigate, a bounded query count, and
searches that hit indexes (bench/admin.py measures the real thing)."""

from __future__ import annotations

import re
import warnings
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import BindingFactory
from zns_notify.admin.scale import NoCountPaginator
from zns_notify.models import Message

pytestmark = pytest.mark.django_db
URL = "admin:zns_notify_message_changelist"


@pytest.fixture
def many():
    """Enough messages for several pages of 100 (list_per_page), newest first."""
    binding = BindingFactory()
    now = timezone.now()
    Message.objects.bulk_create(
        Message(
            idempotency_key=f"k{i:05d}",
            event="order_paid" if i % 2 else "order_created",
            binding=binding,
            template=binding.template,
            zalo_template_id=binding.template.template_id,
            order_ref=f"BH{i:05d}",
            phone=f"8491234{i:04d}",
            status="delivered" if i % 3 else "failed",
            error_category="" if i % 3 else "recipient",
            msg_id=f"m{i:05d}" if i % 3 else "",
            created_at=now - timedelta(minutes=i),
        )
        for i in range(950)
    )
    return binding


def _message_queries(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "zns_notify_message" in q["sql"]]


def test_the_changelist_counts_nothing(admin_client, many):
    with CaptureQueriesContext(connection) as ctx:
        html = admin_client.get(reverse(URL)).content.decode()
    counts = [sql for sql in _message_queries(ctx) if re.search(r"COUNT\(", sql, re.I)]
    assert counts == []
    distinct = [sql for sql in _message_queries(ctx) if "DISTINCT" in sql.upper()]
    assert distinct == []  # no filter reads its choices from the message table
    assert "more than 600 messages" in html


def test_filter_choices_come_from_settings_and_code(admin_client, many):
    html = admin_client.get(reverse(URL)).content.decode()
    # No message was ever cancelled or refused for its payload: still offered.
    assert "?event__exact=order_cancelled" in html  # an EXTRA_EVENTS event of the demo
    assert "?error_category__exact=payload" in html
    assert f"?zalo_template_id={many.template.template_id}" in html


def test_filters_still_filter(admin_client, many):
    response = admin_client.get(
        reverse(URL), {"error_category__exact": "recipient", "event__exact": "order_paid"}
    )
    shown = list(response.context["cl"].result_list)
    assert shown and all(m.error_category == "recipient" and m.event == "order_paid" for m in shown)
    assert (
        response.context["cl"].result_count
        == Message.objects.filter(error_category="recipient", event="order_paid").count()
    )  # few rows: an exact count


def test_pages_navigate_forward_and_back(admin_client, many):
    newest = list(Message.objects.order_by("-created_at", "-pk").values_list("pk", flat=True))
    pages = {}
    for page in (1, 2, 10):
        response = admin_client.get(reverse(URL), {"p": page})
        assert response.status_code == 200
        pages[page] = [m.pk for m in response.context["cl"].result_list]
    assert pages[1] == newest[:100]
    assert pages[2] == newest[100:200]
    assert pages[10] == newest[900:]  # the last page, counted exactly
    assert admin_client.get(reverse(URL), {"p": 9}).context["cl"].result_count == 950
    html = admin_client.get(reverse(URL), {"p": 2}).content.decode()
    assert 'href="?p=1"' in html and 'href="?p=3"' in html
    # Past the end: the admin's usual answer, a redirect to the first page with ?e=1.
    assert admin_client.get(reverse(URL), {"p": 40}).status_code == 302


def test_the_paginator_reads_a_bounded_window():
    class Rows(list):
        def values_list(self, *args, **kwargs):
            return self

    paginator = NoCountPaginator(Rows(range(10_000)), 100, page_number=3)
    assert paginator.count == 200 + 600 and paginator.is_estimate
    assert NoCountPaginator(Rows(range(450)), 100, page_number=3).count == 450


def test_the_changelist_query_count_is_bounded(admin_client, many):
    with CaptureQueriesContext(connection) as full_page:
        admin_client.get(reverse(URL))  # 100 rows shown
    with CaptureQueriesContext(connection) as few:
        admin_client.get(reverse(URL), {"q": "BH00004"})  # one row shown
    assert len(full_page.captured_queries) <= 12
    assert len(full_page.captured_queries) <= len(few.captured_queries) + 1  # nothing per row


@pytest.mark.parametrize("term", ["BH00004", "m00004", "k00004", "0912340004"])
def test_search_finds_by_exact_reference_msg_id_tracking_id_or_phone(admin_client, many, term):
    shown = admin_client.get(reverse(URL), {"q": term}).context["cl"].result_list
    assert [m.order_ref for m in shown] == ["BH00004"]


def test_search_asks_indexed_columns_only(admin_client, many):
    with CaptureQueriesContext(connection) as ctx:
        admin_client.get(reverse(URL), {"q": "BH00004"})
    assert not [sql for sql in _message_queries(ctx) if " LIKE " in sql.upper()]
    if connection.vendor != "sqlite":
        return  # SQLite's plan wording; PostgreSQL's planner scans a table this small anyway
    with connection.cursor() as cursor:
        for column in ("order_ref", "phone", "idempotency_key"):
            cursor.execute(
                f"EXPLAIN QUERY PLAN SELECT id FROM zns_notify_message WHERE {column} = 'x'"
            )
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "INDEX" in plan.upper(), (column, plan)
        cursor.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM zns_notify_message"
            " WHERE msg_id = 'x' AND NOT (msg_id = '')"
        )
        assert "zns_message_msg_id" in " ".join(str(row) for row in cursor.fetchall())


@pytest.mark.parametrize(
    "params", [{}, {"status__exact": "delivered"}, {"created_at__gte": "2026-01-01"}]
)
def test_the_ordering_is_read_from_an_index_not_sorted(admin_client, many, params):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plan wording")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a naive date in the URL, as typed
        cl = admin_client.get(reverse(URL), params).context["cl"]
    query = cl.queryset.values("pk")[:100]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "TEMP B-TREE" not in plan.upper(), plan


@pytest.mark.parametrize("category", ["recipient", "refresh"])
def test_the_category_filter_reads_its_partial_index(admin_client, many, category):
    """A category no message has (a healthy shop's "refresh") must not walk the whole
    ordering index looking for a page of matches: the partial category index answers."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plan wording")
    cl = admin_client.get(reverse(URL), {"error_category__exact": category}).context["cl"]
    assert all(m.error_category == category for m in cl.result_list)
    sql, params = cl.queryset.values("pk")[:100].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "zns_message_category_created" in plan and "TEMP B-TREE" not in plan.upper(), plan


@pytest.mark.parametrize("status", ["failed", "delivered", "queued"])
def test_the_status_filter_shows_that_status_only(admin_client, many, status):
    Message.objects.filter(pk__in=Message.objects.order_by("pk").values("pk")[:5]).update(
        status="queued"
    )
    shown = admin_client.get(reverse(URL), {"status__exact": status}).context["cl"].result_list
    assert shown and {m.status for m in shown} == {status}
