"""A journey message whose answer from Zalo is lost (a timeout a receipt settles, the
``fail`` policy, a worker that died): the run links it to the journey its send carries
before the request goes, so the reports and the log count it under that journey; a send
Zalo refused for another reason leaves it unlinked. Over HTTP against the sandbox."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.integration.conftest import wait_until
from tests.journeys.conftest import (
    DELIVERED,
    NOT_DECLARED,
    SHIPPED,
    journey_message,
    live_journey,
    running_sandbox,
)
from zns_notify.journeys.attempts import JourneySends
from zns_notify.lib import clock
from zns_notify.log.journeys import UNDER, journey_kind, message_journey_text
from zns_notify.models import DailyCount, Journey, Message
from zns_notify.reports import rollup
from zns_notify.reports.journeys import journey_cost, journeys_report
from zns_notify.sending.access import access_token
from zns_notify.sending.claim import claim_keys
from zns_notify.sending.send import deliver
from zns_notify.zalo.client import ZaloClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receipts_zalo(settings, live_server):
    """The sandbox posting a delivery receipt for every accepted send, and its journey
    events, to a live server."""
    webhook_url = f"{live_server.url}/zns/webhook/"
    yield from running_sandbox(
        settings, webhook_url=webhook_url, receipt_delay=0.05, receipt_ratio=1.0
    )


@pytest.fixture
def zalo(settings, transactional_db):
    yield from running_sandbox(settings)


def lose_the_answers(zalo, settings, policy: str = "verify") -> None:
    """Zalo accepts the send but answers after the client gave up."""
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "REQUEST_TIMEOUT": (2, 0.3),
        "AMBIGUOUS_SENDS": policy,
    }
    zalo.knob("faults", timeout_rate=1.0, timeout_seconds=1, paths=["/message/template"])


@pytest.mark.timed_waits  # the sandbox holds the answer past the client's timeout
@pytest.mark.parametrize("policy", ["verify", "fail"])
def test_a_lost_answer_settled_by_its_receipt_counts_under_the_journey(
    receipts_zalo, settings, policy
):
    lose_the_answers(receipts_zalo, settings, policy)
    message = journey_message(SHIPPED)

    deliver(message.idempotency_key)

    journey = live_journey()
    assert wait_until(lambda: Message.objects.get(pk=message.pk).delivered_at is not None)
    assert wait_until(lambda: Journey.objects.get(pk=journey.pk).first_sent_at is not None)
    message.refresh_from_db()
    assert message.journey == journey and message.sent_at is None  # settled by the receipt
    # The reports: the message under the journey, its token counted once (in ZNS cost too).
    today = clock.local_day()
    rollup.compute_day(today, timezone.now())
    totals = journeys_report(today, today).totals
    assert (totals.messages, totals.tokens, totals.token_cost) == (1, 1, 180)
    costs = DailyCount.objects.filter(day=today).values_list("cost", flat=True)
    assert sum(costs) == 180  # the token; the message itself costs nothing under it
    assert journey_cost(journey).messages == 1
    # The log: under the journey.
    assert journey_kind(message) == UNDER
    assert message_journey_text(message).startswith("Under a journey")


def test_the_journey_is_linked_before_the_request_goes(zalo, settings, monkeypatch):
    lose_the_answers(zalo, settings)
    message = journey_message(SHIPPED)
    seen = {}
    # What the row says while its request is on the wire (a worker dying now keeps it).
    original = ZaloClient.send_template

    def spy(self, *args, **kwargs):
        seen["journey"] = Message.objects.filter(pk=message.pk).values_list("journey", flat=True)[0]
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ZaloClient, "send_template", spy)

    deliver(message.idempotency_key)

    assert seen["journey"] == live_journey().pk


def test_a_send_zalo_refused_for_another_reason_is_not_linked(zalo):
    zalo.knob("faults", error_codes_by_template={SHIPPED: -108})  # a bad phone: final
    message = journey_message(SHIPPED)

    deliver(message.idempotency_key)

    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and message.journey is None
    assert message_journey_text(message) == "Journey binding (Delivery journey, 7 days), not sent"
    assert journey_cost(live_journey()).messages == 0


def test_linking_costs_one_update_per_journey_and_none_for_other_messages(zalo):
    client = ZaloClient.from_settings()
    sends = JourneySends(client)
    normal = [journey_message(NOT_DECLARED, journey_type="", order_pk=str(n)) for n in (1, 2)]
    normal = claim_keys([m.idempotency_key for m in normal])
    sends.attach(normal, access_token(client))
    with CaptureQueriesContext(connection) as none:
        sends.linked(normal)
    assert len(none) == 0

    journeys = [journey_message(SHIPPED, order_pk="7"), journey_message(DELIVERED, order_pk="7")]
    journeys.append(journey_message(SHIPPED, order_pk="8"))
    claimed = claim_keys([m.idempotency_key for m in journeys])
    sends.attach(claimed, access_token(client))
    with CaptureQueriesContext(connection) as linked:
        sends.linked(claimed + normal)

    assert len(linked) == 2  # two journeys
    rows = dict(Message.objects.filter(journey__isnull=False).values_list("pk", "journey"))
    assert set(rows) == {m.pk for m in journeys}
    assert len(set(rows.values())) == 2
