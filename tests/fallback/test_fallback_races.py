"""A receipt racing the SMS (the lock order of zns_notify.fallback.sending): whichever
commits first, a message both delivered by Zalo and sent as SMS is flagged double cost,
and a receipt that wins the race against the claim means no SMS at all."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connections
from django.utils import timezone

from tests.receipts.test_webhooks import APP_ID, receipt
from zns_notify.fallback import sending as fallback_sending
from zns_notify.models import FallbackStep, Message
from zns_notify.receipts import inbox
from zns_notify.sms.providers import locmem

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 12


def _race(*jobs) -> None:
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job):
        try:
            start.wait()
            job()
        except BaseException as exc:  # noqa: BLE001 reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors


def _sent_message(make_message, n: int) -> Message:
    return make_message(status=Message.Status.SENT, msg_id=f"race-{n}", sent_at=timezone.now())


def test_receipt_racing_the_sms_outcome_is_always_a_recorded_double_cost(make_message, sms_outbox):
    for n in range(ROUNDS):
        message = _sent_message(make_message, n)
        step = FallbackStep.objects.create(
            message=message,
            reference=f"{message.idempotency_key}-sms",
            reason="window",
            trigger="window",
            due_at=timezone.now(),
        )
        claimed = fallback_sending.claim(step.reference)
        claimed.text = "Don hang"
        result = locmem.LocmemProvider({}).send(message.phone, "Don hang", reference=step.reference)
        body = receipt(msg_id=f"race-{n}")
        _race(
            lambda c=claimed, r=result: fallback_sending.record_result(c, r),
            lambda b=body: inbox.receive(b, json.loads(b), APP_ID, None),
        )
        step.refresh_from_db()
        message.refresh_from_db()
        assert (step.status, message.status) == ("sent", Message.Status.DELIVERED)
        assert step.double_cost, f"round {n}: a double send went unrecorded"
        assert message.timeline.filter(detail__contains="Double cost").count() == 1


def test_receipt_racing_the_claim_never_lets_both_go_unrecorded(make_message, sms_outbox):
    for n in range(ROUNDS):
        message = _sent_message(make_message, n)
        step = FallbackStep.objects.create(
            message=message,
            reference=f"{message.idempotency_key}-sms",
            reason="window",
            trigger="window",
            due_at=timezone.now(),
        )
        body = receipt(msg_id=f"race-{n}")
        _race(
            lambda ref=step.reference: fallback_sending.send(ref),
            lambda b=body: inbox.receive(b, json.loads(b), APP_ID, None),
        )
        step.refresh_from_db()
        sent = [sms for sms in sms_outbox if sms.reference == step.reference]
        if step.status == "cancelled":
            assert sent == []
        else:
            assert step.status == "sent" and step.double_cost and len(sent) == 1
