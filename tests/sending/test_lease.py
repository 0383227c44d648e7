"""A worker's lease on its claimed rows (SEND_LEASE, zns_notify.sending.lease): a killed
worker's rows that never went on the wire go out again within a minute, without an
ambiguous attempt; the ones it sent wait for their receipt; a slow but live worker keeps
its rows, however long Zalo takes."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ

from tests.factories import MessageFactory
from zns_notify.conf import app_settings
from zns_notify.models import Message, MessageEvent
from zns_notify.sending import lease
from zns_notify.sending.claim import claim_keys
from zns_notify.sending.send import Run, deliver
from zns_notify.tasks import sweep
from zns_notify.zalo.client import SendResult

pytestmark = pytest.mark.django_db(transaction=True)

#: The promise: a dead worker's unsent rows move again within this of its death.
RECOVERY_BOUND = dt.timedelta(seconds=60)


class SlowZalo:
    """A Zalo that accepts every send, after ``seconds`` or once ``release`` is set; runs
    ``meanwhile`` (on the pool thread, its own database connection) while it waits."""

    def __init__(self, seconds: float | None = None, meanwhile=None):
        self.seconds = seconds
        self.meanwhile = meanwhile
        self.release = threading.Event()
        self.called = threading.Event()
        self.calls: list[str] = []
        self.seen = []

    def send_template(self, access_token: str, **kwargs) -> SendResult:
        self.calls.append(kwargs["tracking_id"])
        self.called.set()
        if self.seconds is None:
            self.release.wait(timeout=30)
        else:
            time.sleep(self.seconds)
        if self.meanwhile is not None:
            try:
                self.seen.append(self.meanwhile())
            finally:
                connection.close()  # this thread's own connection
        return SendResult(f"msg-{kwargs['tracking_id'][:8]}", None, None, None)


def later(seconds: float):
    return time_machine.travel(timezone.now() + dt.timedelta(seconds=seconds), tick=False)


def queued_keys() -> set[str]:
    return {key for task in OrmQ.objects.all() for key in task.task["args"][0]}


def test_a_killed_workers_unsent_rows_go_again_within_a_minute_and_its_sent_one_waits(
    account, zalo_api, settings
):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "AMBIGUOUS_SENDS": "verify"}
    on_the_wire, held_back, claimed_only = MessageFactory(), MessageFactory(), MessageFactory()
    # A worker claims three rows. No quota is known today: one send goes first (its answer
    # echoes the quota), the other is held back; the third it never got to gate.
    claimed = claim_keys([m.idempotency_key for m in (on_the_wire, held_back, claimed_only)])
    zalo = SlowZalo()  # the request is out; the answer never comes: the worker is killed
    run = Run(zalo)
    run.start(claimed[:2])
    assert zalo.called.wait(timeout=10)
    assert zalo.calls == [on_the_wire.idempotency_key] and run.held
    try:
        with later(RECOVERY_BOUND.total_seconds() - 5):
            sweep()
            for message in (held_back, claimed_only):
                message.refresh_from_db()
                assert message.status == Message.Status.QUEUED
                assert message.next_attempt_at <= timezone.now()
                assert message.ambiguous_sends == 0 and message.error_category != "ambiguous"
                assert not MessageEvent.objects.filter(message=message, kind="attempt").exists()
                note = MessageEvent.objects.get(message=message, kind="note")
                assert "stopped before sending" in note.detail
            assert queued_keys() >= {held_back.idempotency_key, claimed_only.idempotency_key}
            # Only the request that went on the wire is ambiguous: it waits for its receipt.
            on_the_wire.refresh_from_db()
            assert (on_the_wire.status, on_the_wire.ambiguous_sends) == (Message.Status.QUEUED, 1)
            assert on_the_wire.error_category == "ambiguous"
            assert on_the_wire.next_attempt_at > timezone.now() + dt.timedelta(minutes=5)
            # Another worker sends the unsent ones at once, each once.
            for message in (held_back, claimed_only):
                zalo_api.send_ok(msg_id=f"again-{message.pk}")
                assert deliver(message.idempotency_key).status == Message.Status.SENT
            assert len(zalo_api.calls_to("/message/template")) == 2
            assert deliver(on_the_wire.idempotency_key) is None  # still waiting
    finally:
        zalo.release.set()


def test_a_row_queued_again_is_not_sent_by_its_stalled_worker(account, zalo_api):
    message = MessageFactory()
    [claimed] = claim_keys([message.idempotency_key])
    with later(45):
        sweep()  # the worker stalled past its lease: the row is queued again
        run = Run(SlowZalo(seconds=0))
        run.start([claimed])  # the stalled worker wakes up and would send it
        assert not run.in_flight and not run.client.calls
        zalo_api.send_ok()
        assert deliver(message.idempotency_key).attempts == 2  # the next worker's claim
    assert len(zalo_api.calls_to("/message/template")) == 1


@pytest.mark.timed_waits  # the worker wakes from its wait for Zalo to renew its lease
def test_a_slow_live_worker_keeps_its_rows(account, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SEND_LEASE": 2, "AMBIGUOUS_SENDS": "retry"}
    message = MessageFactory()
    # Zalo answers after 1.75 leases; meanwhile another worker's sweeper looks for dead ones.
    zalo = SlowZalo(seconds=3.5, meanwhile=sweep)
    assert deliver(message.idempotency_key, client=zalo).status == Message.Status.SENT
    message.refresh_from_db()
    assert (message.status, message.attempts, message.ambiguous_sends) == ("sent", 1, 0)
    assert zalo.calls == [message.idempotency_key]
    assert not MessageEvent.objects.filter(message=message, kind="note").exists()


def test_a_running_worker_recovers_a_dead_workers_unsent_rows(account, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SEND_LEASE": 2}
    dead, alive = MessageFactory(), MessageFactory()
    claim_keys([dead.idempotency_key])  # its worker dies right after the claim
    # A live worker's send takes 2 leases: while it waits it renews its own lease and
    # recovers the dead worker's row, without the sweeper.
    zalo = SlowZalo(seconds=4)
    assert deliver(alive.idempotency_key, client=zalo).status == Message.Status.SENT
    dead.refresh_from_db()
    assert (dead.status, dead.ambiguous_sends) == (Message.Status.QUEUED, 0)
    assert dead.idempotency_key in queued_keys()


def test_an_answer_that_comes_after_the_lease_ran_out_still_counts(account, zalo_api, settings):
    """The task's thread blocked past its lease (a token refresh another process holds, the
    database coming back): another worker took its row for an ambiguous send, but Zalo's
    answer arrives after all. It is recorded, and the row is not sent a second time."""
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "AMBIGUOUS_SENDS": "verify"}
    message = MessageFactory()
    claimed = claim_keys([message.idempotency_key])
    zalo = SlowZalo()
    run = Run(zalo)
    run.start(claimed)
    assert zalo.called.wait(timeout=10)
    with later(app_settings.SEND_LEASE + 1):
        sweep()  # no renewal came: the row is taken for an ambiguous send
        message.refresh_from_db()
        assert (message.status, message.ambiguous_sends) == (Message.Status.QUEUED, 1)
        zalo.release.set()
        run.drain()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.msg_id
    assert (message.ambiguous_sends, message.next_attempt_at, message.error_category) == (
        0,
        None,
        "",
    )
    assert zalo.calls == [message.idempotency_key]


def test_a_broker_error_while_recovering_others_rows_never_ends_the_task(account, monkeypatch):
    """Redis restarting while a task renews its lease: the renewal's courtesy recovery of a
    dead worker's rows fails, the task goes on to record its own answers."""

    def broker_down(keys):
        raise ConnectionError("Redis is restarting")

    monkeypatch.setattr(lease, "push_send_task", broker_down)
    monkeypatch.setattr(lease, "relay_active", lambda using: False)
    dead_workers, mine = MessageFactory(), MessageFactory()
    claim_keys([dead_workers.idempotency_key])
    with later(app_settings.SEND_LEASE + 1):
        claimed = claim_keys([mine.idempotency_key])
        keeper = lease.Keeper()
        keeper.renewed -= keeper.every
        keeper.keep(claimed)  # logged, not raised
    dead_workers.refresh_from_db()
    assert dead_workers.status == Message.Status.QUEUED
