"""Admin smoke test: a superuser walks every zns_notify changelist, add and change page
reachable from the admin index; none answers 500, and a changelist's query count does not
grow with its rows (no query per row)."""

from __future__ import annotations

import datetime as dt
import re
from collections import deque

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import BindingFactory, MessageFactory, TemplateFactory, ZaloAccountFactory
from tests.journey_rows import billed_journey

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="(/admin/zns_notify/[^"?#]*)')
CHANGELIST = re.compile(r"^/admin/zns_notify/\w+/$")
PAGE = re.compile(r"^/admin/zns_notify/\w+/(add/|[^/]+/change/)?$")
CHANGE_PAGES_PER_MODEL = 2  # enough to render every field's display code; keeps it fast
MAX_CHANGELIST_QUERIES = 15


def seed(n: int) -> None:
    """One row of every zns_notify model shown in the admin, with related rows filled in."""
    from zns_notify.models import FallbackStep, MessageEvent, OtpChallenge
    from zns_notify.models.policy import RecipientDailyCount, RecipientOptOut
    from zns_notify.models.quota import SendingHold
    from zns_notify.models.webhooks import MessageFeedback, WebhookEvent

    account = ZaloAccountFactory(oa_id=f"27182818284590{n:05d}")
    template = TemplateFactory()
    binding = BindingFactory(template=template)
    phone = f"849123{n:05d}"
    message = MessageFactory(template=template, binding=binding, phone=phone, msg_id=f"msg{n}")
    # A message under its order's ZNS Journey: the journeys' list and the log's journey block.
    journey = billed_journey(timezone.now(), phone=phone)
    MessageFactory(
        template=template,
        binding=binding,
        phone=phone,
        journey=journey,
        journey_type=journey.token_type,
        status="delivered",
        sent_at=timezone.now(),
    )
    MessageEvent.objects.create(message=message, kind="attempt", status="sent", detail="ok")
    WebhookEvent.objects.create(
        event_name="user_received_message",
        dedup_key=f"k{n}",
        subject=f"msg{n}",
        body="{}",
        outcome="applied",
    )
    MessageFeedback.objects.create(message=message, msg_id=f"msg{n}", rate=5)
    RecipientOptOut.objects.create(phone=phone, reason="khách hàng yêu cầu")
    RecipientDailyCount.objects.create(phone=phone, day=dt.date.today(), count=1)
    SendingHold.objects.create(
        account=account,
        template=template,
        # Zalo's own wording, which the pages show as it came.
        reason="Tài khoản ZCA không đủ số dư",
        until=timezone.now() + dt.timedelta(hours=1),
    )
    FallbackStep.objects.create(
        message=message,
        reference=f"{message.idempotency_key}-sms",
        reason="window",
        trigger="window",
        due_at=timezone.now(),
    )
    OtpChallenge.objects.create(
        phone=phone,
        purpose="login",
        code_hash="0" * 64,
        message=message,
        created_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(minutes=5),
    )


def walk(client) -> tuple[dict[str, int], set[str]]:
    """Breadth-first over the admin pages linked from the index; returns each changelist's
    query count and every page visited."""
    queue, seen, changes, counts = deque(["/admin/"]), {"/admin/"}, {}, {}
    while queue:
        url = queue.popleft()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if CHANGELIST.match(url):
            counts[url] = len(queries)
        for link in HREF.findall(response.content.decode()):
            if link in seen or not PAGE.match(link):
                continue
            if link.endswith("/change/"):
                model = link.split("/")[3]
                if changes.get(model, 0) >= CHANGE_PAGES_PER_MODEL:
                    continue
                changes[model] = changes.get(model, 0) + 1
            seen.add(link)
            queue.append(link)
    return counts, seen


def test_every_admin_page_answers_and_changelists_do_not_query_per_row(admin_client):
    seed(0)
    first, pages = walk(admin_client)

    # The walk reached every model's list and one of its rows (it is not vacuous).
    registered = {
        m._meta.model_name for m in admin.site._registry if m._meta.app_label == "zns_notify"
    }
    assert {url.split("/")[3] for url in first} == registered
    # The reports page is the changelist of its model, which has no change pages.
    paged = {
        m._meta.model_name
        for m, model_admin in admin.site._registry.items()
        if m._meta.app_label == "zns_notify" and getattr(model_admin, "has_change_pages", True)
    }
    assert {url.split("/")[3] for url in pages if url.endswith("/change/")} == paged
    assert "/admin/zns_notify/binding/add/" in pages

    for n in range(1, 6):
        seed(n)
    again, _pages = walk(admin_client)
    for url, count in again.items():
        assert count <= MAX_CHANGELIST_QUERIES, (url, count)
        assert count <= first[url], f"{url}: {first[url]} queries with 1 row, {count} with 6"
