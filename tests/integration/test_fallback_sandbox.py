"""The ZNS → SMS fallback end to end over real HTTP: the sandbox answers the sends, posts
signed receipts to the live server's webhook, and takes the SMS through its eSMS API
(the real eSMS provider); every SMS is counted in the sandbox's /_sandbox/sms.

A worker killed between the ZNS outcome and the SMS is a real process SIGKILLed right
after that commit (tests/integration/fallback_worker.py); a worker killed mid-SMS is a
claimed step whose lease runs out after the provider took the SMS.

Time control: the window is the binding's real setting (minutes). Instead of sleeping
through it, a test moves the step's ``due_at`` into the past, which is exactly the row
the sweeper reads once the clock gets there; the claim, the send and the receipts run
unchanged. Before that, each test checks the step is due at ``sent_at`` + the window and
that nothing is sent earlier.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.brokers import get_broker
from django_q.signing import SignedPackage

from demo_shop.shop.demo_seed import ensure_bindings
from demo_shop.shop.models import Order
from tests.integration.conftest import run_queued_tasks, wait_until
from zns_notify.bindings.template_sync import sync_templates
from zns_notify.conf import app_settings
from zns_notify.fallback import sending as fallback_sending
from zns_notify.fallback import texts as fallback_texts
from zns_notify.models import Binding, FallbackStep, Message
from zns_notify.sandbox import defaults
from zns_notify.sms import get_provider
from zns_notify.tasks import sweep

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]

NOT_ON_ZALO = "0999 000 118"  # the sandbox answers -118 for 84999000118
ON_ZALO = "0912 345 678"
SMS_TEXT = "Cua hang Demo: don hang {{ order_code }} da duoc tiep nhan."


@pytest.fixture
def fallback(connected, settings):
    """The sandbox, the demo bindings, order_created with the SMS fallback, eSMS → sandbox."""
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "SMS_PROVIDER": "esms",
        "SMS_COST_PER_SEGMENT": 850,
        "SMS_PROVIDER_OPTIONS": {
            "api_key": defaults.DEMO_ESMS_API_KEY,
            "secret_key": defaults.DEMO_ESMS_SECRET_KEY,
            "brandname": "DemoShop",
            "base_url": connected.url,
            "timeout": (2.0, 2.0),
        },
    }
    sync_templates()
    ensure_bindings()
    binding = Binding.objects.get(event="order_created")
    binding.sms_enabled, binding.sms_text, binding.sms_window_minutes = True, SMS_TEXT, 5
    binding.full_clean()
    binding.save()
    return connected


def knob(sandbox, path: str, body: dict) -> None:
    response = requests.post(f"{sandbox.url}/_sandbox/{path}", json=body, timeout=5)
    assert response.status_code == 200, response.text


def sms_sent(sandbox) -> list[dict]:
    return requests.get(f"{sandbox.url}/_sandbox/sms", timeout=5).json()["sms"]


def order(phone: str) -> tuple[Order, Message]:
    placed = Order.objects.create(customer_name="Lê Hoàng Nam", phone=phone, total=459000)
    return placed, Message.objects.get(event="order_created", order_pk=str(placed.pk))


def run_zns_task_then_lose_the_queue() -> None:
    """Run the one queued ZNS send task, as a worker would, then purge the queue: what a
    worker killed right after the ZNS outcome's commit (or a flushed Redis) leaves."""
    broker = get_broker()
    [(task_id, payload)] = broker.dequeue()
    task = SignedPackage.loads(payload)
    assert task["func"] == "zns_notify.tasks.send_messages"
    import_string(task["func"])(*task["args"], **task["kwargs"])
    broker.acknowledge(task_id)
    broker.purge_queue()


def lost_task_after() -> None:
    """Time control: LOST_TASK_AFTER has passed since the steps came due."""
    FallbackStep.objects.filter(status="scheduled").update(
        due_at=timezone.now() - dt.timedelta(seconds=app_settings.LOST_TASK_AFTER + 1)
    )


def window_over(message: Message) -> FallbackStep:
    message.refresh_from_db()
    step = FallbackStep.objects.get(message=message)
    assert step.status == "scheduled"
    assert step.due_at == message.sent_at + dt.timedelta(minutes=5)
    assert fallback_sending.sweep() == 0 and run_queued_tasks() == 0  # not before the window
    FallbackStep.objects.filter(pk=step.pk).update(due_at=timezone.now() - dt.timedelta(seconds=1))
    return step


def test_phone_not_on_zalo_gets_the_sms_at_once(fallback):
    _placed, message = order(NOT_ON_ZALO)
    assert run_queued_tasks() == 2  # the ZNS send, then the SMS task its commit queued
    message.refresh_from_db()
    assert (message.status, message.error_code) == (Message.Status.FAILED, -118)
    step = FallbackStep.objects.get(message=message)
    assert (step.status, step.trigger, step.reason) == ("sent", "not_on_zalo", "immediate")
    [sms] = sms_sent(fallback)
    assert sms["phone"] == "84999000118" and sms["request_id"] == step.reference
    assert message.order_ref
    assert sms["content"] == f"Cua hang Demo: don hang {message.order_ref} da duoc tiep nhan."
    assert step.provider_message_id == sms["sms_id"] and step.cost == 850


def test_receipt_within_the_window_means_no_sms(fallback):
    _placed, message = order(ON_ZALO)
    assert run_queued_tasks() == 1
    assert wait_until(
        lambda: FallbackStep.objects.filter(message=message, status="cancelled").exists()
    ), FallbackStep.objects.values()
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    FallbackStep.objects.filter(message=message).update(due_at=timezone.now())
    sweep()
    run_queued_tasks()
    assert sms_sent(fallback) == []


def test_no_receipt_sends_exactly_one_sms_after_the_window(fallback):
    knob(fallback, "config", {"webhook_ratio": 0})  # Zalo never posts the receipt
    _placed, message = order(ON_ZALO)
    assert run_queued_tasks() == 1
    step = window_over(message)
    sweep()
    sweep()  # a second sweep before the task ran queues it again: claimed once
    run_queued_tasks()
    sweep()
    run_queued_tasks()
    step.refresh_from_db()
    assert (step.status, step.reason, step.attempts) == ("sent", "window", 1)
    assert [sms["request_id"] for sms in sms_sent(fallback)] == [step.reference]


def test_late_receipt_is_recorded_as_double_cost(fallback):
    knob(fallback, "config", {"receipt_delay": 3.0})  # Zalo's receipt comes after the SMS
    _placed, message = order(ON_ZALO)
    assert run_queued_tasks() == 1
    step = window_over(message)
    sweep()
    run_queued_tasks()
    assert FallbackStep.objects.get(pk=step.pk).status == "sent"
    assert wait_until(
        lambda: FallbackStep.objects.filter(pk=step.pk, double_cost=True).exists(), timeout=15
    )
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert message.timeline.filter(detail__contains="Double cost").count() == 1
    assert len(sms_sent(fallback)) == 1


def test_sms_provider_down_is_retried_then_sent(fallback):
    knob(fallback, "faults", {"sms_down": True})
    _placed, message = order(NOT_ON_ZALO)
    run_queued_tasks()
    step = FallbackStep.objects.get(message=message)
    assert (step.status, step.attempts, step.error_kind) == ("scheduled", 1, "retryable")
    assert step.due_at > timezone.now()  # backoff
    assert sms_sent(fallback) == []
    knob(fallback, "faults", {"sms_down": False})
    FallbackStep.objects.filter(pk=step.pk).update(due_at=timezone.now())
    sweep()
    run_queued_tasks()
    step.refresh_from_db()
    assert (step.status, step.attempts) == ("sent", 2)
    assert len(sms_sent(fallback)) == 1


def test_sms_task_lost_after_the_zns_outcome_commit_still_sends_once(fallback):
    """The worker dies right after committing the ZNS outcome: the step is in that commit,
    the task it queued is gone (a killed worker, a flushed Redis)."""
    _placed, message = order(NOT_ON_ZALO)
    run_zns_task_then_lose_the_queue()
    assert FallbackStep.objects.get(message=message).status == "scheduled"
    sweep()  # within LOST_TASK_AFTER its task is taken to be queued still
    assert run_queued_tasks() == 0
    lost_task_after()
    sweep()
    run_queued_tasks()
    assert len(sms_sent(fallback)) == 1
    assert FallbackStep.objects.get(message=message).status == "sent"


def database_url() -> str:
    """The test database, for a worker subprocess to open."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = f"{db['USER']}:{db['PASSWORD'] or ''}"
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def test_worker_killed_right_after_the_zns_outcome_still_sends_one_sms(fallback):
    """A real worker process, SIGKILLed the moment it would queue the SMS task, i.e. right
    after the commit that recorded -118 and scheduled the step."""
    _placed, message = order(NOT_ON_ZALO)
    get_broker().purge_queue()  # the worker process is the one sending
    env = {**os.environ, "ZNS_RACE_DATABASE_URL": database_url(), "ZNS_RACE_ZALO_URL": fallback.url}
    worker = subprocess.run(
        [sys.executable, "-m", "tests.integration.fallback_worker", message.idempotency_key],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode == -signal.SIGKILL, (worker.stdout, worker.stderr[-3000:])
    assert "killed before queueing" in worker.stdout
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert FallbackStep.objects.get(message=message).status == "scheduled"
    assert sms_sent(fallback) == [] and run_queued_tasks() == 0  # no task survived
    lost_task_after()
    sweep()  # the first sweep once the task counts as lost
    run_queued_tasks()
    sweep()
    run_queued_tasks()
    assert [sms["request_id"] for sms in sms_sent(fallback)] == [f"{message.idempotency_key}-sms"]


def test_sms_worker_killed_mid_send_still_sends_one_sms(fallback):
    """The SMS worker claimed the step and the provider took the SMS, then the worker died
    before recording it: the lease runs out, the sweeper makes it due again, and eSMS
    answers the repeated RequestId as a duplicate (code 124)."""
    _placed, message = order(NOT_ON_ZALO)
    run_zns_task_then_lose_the_queue()  # ZNS: -118, the step is due
    step = FallbackStep.objects.get(message=message)
    claimed = fallback_sending.claim(step.reference)
    text = fallback_texts.render_text(claimed)
    assert get_provider().send(message.phone, text, reference=step.reference).accepted
    # ...killed here. SEND_LEASE later:
    lease = dt.timedelta(seconds=app_settings.SEND_LEASE + 1)
    FallbackStep.objects.filter(pk=step.pk).update(claimed_at=timezone.now() - lease)
    sweep()
    step.refresh_from_db()
    assert step.status == "scheduled"
    FallbackStep.objects.filter(pk=step.pk).update(due_at=timezone.now())
    sweep()
    run_queued_tasks()
    step.refresh_from_db()
    assert step.status == "sent" and step.result["duplicate"] is True
    assert len(sms_sent(fallback)) == 1
