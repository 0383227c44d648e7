"""zns_demo: the summary line, how each count is taken, and the command itself."""

from __future__ import annotations

import json
import random

import pytest
from django.core.management import CommandError, call_command

from demo_shop.shop.demo_driver import DemoSummary, place_demo_orders, summarize
from demo_shop.shop.demo_seed import seed_shop
from demo_shop.shop.models import Order
from zns_notify.models import Message, MessageEvent

pytestmark = pytest.mark.django_db

Status = Message.Status


def test_the_line_has_the_fields_of_the_public_contract_in_order():
    summary = DemoSummary(20, 80, 80, 79, 0, 0, 1, 0)
    assert summary.line() == (
        "orders=20 messages=80 sent=80 delivered=79 failed=0 skipped=0 pending=1 duplicates=0"
    )
    assert list(summary.as_dict()) == [
        "orders",
        "messages",
        "sent",
        "delivered",
        "failed",
        "skipped",
        "pending",
        "duplicates",
    ]


def _message_of(order: Order, status: str, **fields) -> Message:
    key = f"zns-test-{Message.objects.count()}"
    return Message.objects.create(
        idempotency_key=key,
        event="order_created",
        order_type="shop.order",
        order_pk=str(order.pk),
        order_ref=order.code,
        status=status,
        **fields,
    )


def test_summarize_counts_each_status_of_the_run_only(make_order):
    order, other_run = make_order(), make_order()
    for status, msg_id in [
        (Status.DELIVERED, "m1"),
        (Status.SENT, "m2"),
        (Status.UNDELIVERED, "m3"),  # accepted by Zalo, no receipt in time: sent, final
        (Status.FAILED, ""),
        (Status.SKIPPED, ""),
        (Status.QUEUED, ""),
        (Status.SENDING, ""),
    ]:
        _message_of(order, status, msg_id=msg_id)
    _message_of(other_run, Status.FAILED)
    assert summarize([order], sandbox=None) == DemoSummary(
        orders=1, messages=7, sent=3, delivered=1, failed=1, skipped=1, pending=3, duplicates=0
    )


class FakeSandbox:
    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def tracking_counts(self) -> dict[str, int]:
        return self.counts


def test_duplicates_come_from_the_sandbox_for_this_runs_tracking_ids(make_order):
    order = make_order()
    once, twice = (_message_of(order, Status.DELIVERED) for _ in range(2))
    sandbox = FakeSandbox({once.idempotency_key: 1, twice.idempotency_key: 2, "zns-other-run": 5})
    assert summarize([order], sandbox=sandbox).duplicates == 1


def test_without_the_sandbox_duplicates_are_messages_accepted_twice_in_the_log(make_order):
    order = make_order()
    message = _message_of(order, Status.DELIVERED)
    _message_of(order, Status.DELIVERED)
    for _ in range(2):
        MessageEvent.objects.create(
            message=message, kind=MessageEvent.Kind.ATTEMPT, status=Status.SENT
        )
    assert summarize([order], sandbox=None).duplicates == 1


def test_demo_orders_walk_all_the_way_to_delivered(db):
    seed_shop()
    orders = place_demo_orders(3, random.Random(7))
    assert [order.status for order in orders] == [Order.Status.DELIVERED] * 3
    for order in Order.objects.all():
        assert order.customer is not None
        assert order.total == sum(item.line_total for item in order.items.all()) > 0
        assert (order.paid_at, order.carrier, order.tracking_code, order.delivered_at) != (
            None,
            "",
            "",
            None,
        )


def test_the_command_fails_and_still_prints_the_line_when_messages_stay_pending(sandbox, capsys):
    # --timeout 0 and no qcluster: the messages are queued and nothing sends them.
    with pytest.raises(CommandError, match="8 messages still pending"):
        call_command("zns_demo", orders=2, timeout=0)
    assert capsys.readouterr().out.strip() == (
        "orders=2 messages=8 sent=0 delivered=0 failed=0 skipped=0 pending=8 duplicates=0"
    )


def test_the_command_fails_when_a_message_failed(sandbox, capsys):
    sandbox.state.faults.update({"error_code": -1122})
    with pytest.raises(CommandError, match="failed"):
        call_command("zns_demo", orders=1, inline=True, timeout=5)
    summary = capsys.readouterr().out.split()
    assert "failed=4" in summary and "pending=0" in summary


@pytest.mark.django_db(transaction=True)
def test_inline_run_is_delivered_through_the_webhook(sandbox, live_server, capsys):
    """The whole path in one process: orders -> messages -> sandbox -> signed receipt posted
    to the live server's /zns/webhook/ -> delivered."""
    webhook_url = f"{live_server.url}/zns/webhook/"
    sandbox.state.update_config({"webhook_url": webhook_url, "receipt_delay": 0})
    call_command("zns_demo", orders=2, inline=True, timeout=30, as_json=True)
    assert json.loads(capsys.readouterr().out) == {
        "orders": 2,
        "messages": 8,
        "sent": 8,
        "delivered": 8,
        "failed": 0,
        "skipped": 0,
        "pending": 0,
        "duplicates": 0,
    }


def test_a_message_cancelled_by_its_condition_is_counted_as_skipped_not_lost(make_order):
    # The policy engine's two final "not sent" outcomes (message_skipped announces both):
    # without this a cancelled message was in no column and the line did not add up.
    order = make_order()
    _message_of(order, Status.SKIPPED)
    _message_of(order, Status.CANCELLED)
    summary = summarize([order], sandbox=None)
    assert (summary.messages, summary.skipped, summary.pending) == (2, 2, 0)
