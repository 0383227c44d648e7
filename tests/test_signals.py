"""Outgoing signals: sent once per transition, after the commit, robust against receivers
that raise. Covers every place they fire: the worker (sending.py), messages that fail at
event time (outbox.announce_failed), the sweeper, the webhook and the reconciler."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from tests.factories import BindingFactory, MessageFactory, OrderFactory
from tests.receipts.test_reconcile import status_api
from tests.receipts.test_webhooks import post, receipt, sign
from zns_notify import notify, signals
from zns_notify.models import Message
from zns_notify.receipts.delivery import record_delivered, record_receipt, record_undelivered
from zns_notify.receipts.reconcile import reconcile
from zns_notify.sending.send import deliver
from zns_notify.tasks import sweep

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def heard():
    seen = []

    def receiver(signal, sender, **kwargs):
        seen.append((signal, sender, kwargs))

    for signal in signals.OUTGOING.values():
        signal.connect(receiver, weak=False, dispatch_uid="signals-test")
    yield seen
    for signal in signals.OUTGOING.values():
        signal.disconnect(dispatch_uid="signals-test")


@pytest.fixture
def raising():
    """A receiver that raises on every outgoing signal, connected before the recording one."""

    def receiver(**kwargs):
        raise ValueError("host bug")

    for signal in signals.OUTGOING.values():
        signal.connect(receiver, weak=False, dispatch_uid="signals-raising")
    yield
    for signal in signals.OUTGOING.values():
        signal.disconnect(dispatch_uid="signals-raising")


def names(heard) -> list[str]:
    by_signal = {signal: name for name, signal in signals.OUTGOING.items()}
    return [by_signal[signal] for signal, _, _ in heard]


# -- announce and announce_on_commit -----------------------------------------------------------


def test_a_raising_receiver_is_logged_with_its_traceback_and_the_others_still_run(
    db, raising, heard, caplog
):
    message = MessageFactory()
    with caplog.at_level(logging.ERROR, logger="zns_notify.signals"):
        signals.announce(signals.message_sent, message=message)
    assert names(heard) == ["message_sent"]
    assert heard[0][1] is Message
    record = next(r for r in caplog.records if r.name == "zns_notify.signals")
    assert "host bug" in record.getMessage() and record.exc_info[0] is ValueError


def test_announce_on_commit_waits_for_the_commit_and_drops_on_rollback(db, heard):
    message = MessageFactory()
    with transaction.atomic():
        signals.announce_on_commit(signals.message_sent, message=message)
        assert heard == []
    assert names(heard) == ["message_sent"]
    with pytest.raises(RuntimeError), transaction.atomic():
        signals.announce_on_commit(signals.message_sent, message=message)
        raise RuntimeError("rolled back")
    assert names(heard) == ["message_sent"]


# -- the worker --------------------------------------------------------------------------------


def test_message_sent_once_after_commit_and_not_on_a_second_run(account, zalo_api, heard):
    message = MessageFactory()
    zalo_api.send_ok(msg_id="abc")
    with transaction.atomic():
        deliver(message.idempotency_key)
        assert heard == []  # not before the commit
    assert deliver(message.idempotency_key) is None
    assert names(heard) == ["message_sent"]
    assert heard[0][2]["message"].msg_id == "abc"


def test_message_failed_once_with_code_category_reason(account, zalo_api, heard):
    message = MessageFactory()
    zalo_api.send_error(-118, "Phone number is not on Zalo")
    deliver(message.idempotency_key)
    deliver(message.idempotency_key)
    assert names(heard) == ["message_failed"]
    kwargs = heard[0][2]
    assert kwargs["error_code"] == -118 and kwargs["category"] == "recipient"
    assert "not on Zalo" in kwargs["reason"]


def test_a_raising_receiver_never_breaks_the_worker(account, zalo_api, raising, heard, caplog):
    message = MessageFactory()
    zalo_api.send_ok(msg_id="abc")
    assert deliver(message.idempotency_key) is not None
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert names(heard) == ["message_sent"]
    assert "host bug" in caplog.text


def test_the_sweeper_announces_a_message_it_gives_up_once(account, heard, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "MAX_ATTEMPTS": 2}
    old = timezone.now() - dt.timedelta(minutes=10)
    MessageFactory(status=Message.Status.SENDING, claimed_at=old, attempts=1)
    give_up = MessageFactory(status=Message.Status.SENDING, claimed_at=old, attempts=2)
    sweep()
    sweep()
    assert names(heard) == ["message_failed"]
    kwargs = heard[0][2]
    assert kwargs["message"].pk == give_up.pk and kwargs["message"].status == Message.Status.FAILED
    assert kwargs["category"] == "ambiguous" and kwargs["error_code"] is None


# -- event time --------------------------------------------------------------------------------


def test_a_message_failing_at_event_time_is_announced_once_not_on_repeated_events(db, heard):
    BindingFactory(event="order_created", params={"customer_name": "{% if %}"})
    order = OrderFactory()
    notify("order_created", order)
    notify("order_created", order)
    assert names(heard) == ["message_failed"]
    assert heard[0][2]["category"] == "payload"


def test_event_time_failures_are_not_announced_when_the_order_rolls_back(db, heard):
    BindingFactory(event="order_created", params={"customer_name": "{% if %}"})
    with pytest.raises(RuntimeError), transaction.atomic():
        OrderFactory()
        raise RuntimeError("rolled back")
    assert heard == [] and not Message.objects.exists()


# -- the webhook (current public behaviour of zns_notify.receipts.views) ---------------------


def test_a_duplicate_webhook_announces_delivery_once(db, heard):
    MessageFactory(status=Message.Status.SENT, msg_id="15a0cc0bbb13bd4ce403")
    client = Client(enforce_csrf_checks=True)
    body = receipt()
    assert post(client, body, sign(body)).status_code == 200
    assert post(client, body, sign(body)).status_code == 200
    assert names(heard) == ["message_delivered"]
    assert int(heard[0][2]["delivered_at"].timestamp() * 1000) == 1602960467432


def test_a_raising_receiver_never_breaks_the_webhook(db, raising, heard, caplog):
    message = MessageFactory(status=Message.Status.SENT, msg_id="15a0cc0bbb13bd4ce403")
    body = receipt()
    assert post(Client(enforce_csrf_checks=True), body, sign(body)).status_code == 200
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert names(heard) == ["message_delivered"] and "host bug" in caplog.text


def test_a_webhook_handled_in_a_rolled_back_transaction_announces_nothing(db, heard):
    message = MessageFactory(status=Message.Status.SENT, msg_id="15a0cc0bbb13bd4ce403")
    with pytest.raises(RuntimeError), transaction.atomic():
        record_receipt(message.pk, timezone.now(), message.msg_id)
        raise RuntimeError("rolled back")
    assert heard == []
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_a_webhook_after_the_reconciler_delivered_announces_nothing(db, heard):
    message = MessageFactory(status=Message.Status.SENT, msg_id="15a0cc0bbb13bd4ce403")
    assert record_delivered(message, timezone.now(), detail="status API")
    body = receipt()
    assert post(Client(enforce_csrf_checks=True), body, sign(body)).status_code == 200
    assert names(heard) == ["message_delivered"]


# -- the reconciler ----------------------------------------------------------------------------


def test_a_raising_receiver_never_breaks_the_reconciler(account, zalo_api, raising, heard, caplog):
    sent_at = timezone.now() - dt.timedelta(hours=3)  # past the 2 h default timeout
    MessageFactory(status=Message.Status.SENT, msg_id="m1", sent_at=sent_at)
    MessageFactory(status=Message.Status.SENT, msg_id="m2", sent_at=sent_at)
    status_api(zalo_api, {"m1": {"status": 1}, "m2": {"status": -1}})
    report = reconcile(sleep=lambda s: None)
    assert report["delivered"] == 1 and report["undelivered"] == 1
    assert sorted(names(heard)) == ["message_delivered", "message_undelivered"]
    assert caplog.text.count("host bug") >= 2


def test_undelivered_is_announced_once(db, heard):
    message = MessageFactory(status=Message.Status.SENT, msg_id="m1")
    assert record_undelivered(message, "timeout")
    assert not record_undelivered(Message.objects.get(pk=message.pk), "timeout")
    assert names(heard) == ["message_undelivered"]
    assert heard[0][2]["reason"] == "timeout"
