"""Batch sending (zns_notify.sending.send, tasks.send_messages): claimed together, sent
concurrently, every outcome recorded exactly where one message's would be."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
import responses
from django.db import DatabaseError, connections
from django.utils import timezone

from tests.conftest import API, OAUTH
from tests.factories import MessageFactory, TemplateFactory
from tests.signal_capture import listening
from zns_notify import signals
from zns_notify.account.tokens import FRESH_TOKEN_REFUSALS
from zns_notify.models import Message, MessageEvent, ZaloAccount, ZaloQuota
from zns_notify.sending import send
from zns_notify.sending.claim import claim_keys, claim_more
from zns_notify.tasks import send_messages, sweep
from zns_notify.zalo.client import ZaloClient

pytestmark = pytest.mark.django_db(transaction=True)


class FakeZalo:
    """A `responses` callback answering each send by its tracking_id, counting how many
    requests were in flight at once."""

    def __init__(self, rsps, answer=None, delay: float = 0.0):
        self.answer = answer or (lambda body, token: ok(body["tracking_id"]))
        self.delay = delay
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = 0
        self.bodies: list[dict] = []
        rsps.add_callback(responses.POST, f"{API}/message/template", callback=self)

    def __call__(self, request):
        body = json.loads(request.body)
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.bodies.append(body)
        try:
            time.sleep(self.delay)
            answer = self.answer(body, request.headers["access_token"])
        finally:
            with self.lock:
                self.in_flight -= 1
        return 200, {}, json.dumps(answer)

    def tracking_ids(self) -> list[str]:
        return [body["tracking_id"] for body in self.bodies]


def ok(tracking_id: str, remaining: int = 400) -> dict:
    return {
        "error": 0,
        "message": "Success",
        "data": {
            "msg_id": f"m-{tracking_id[-6:]}",
            "sent_time": "1626926349402",
            "quota": {"dailyQuota": "500", "remainingQuota": str(remaining)},
        },
    }


def error(code: int, message: str = "error") -> dict:
    return {"error": code, "message": message, "data": None}


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def announced():
    with listening(
        signals.message_sent,
        signals.message_failed,
        record=lambda signal, kwargs: (signal, kwargs["message"].pk),
    ) as seen:
        yield seen


def keys_of(messages) -> list[str]:
    return [m.idempotency_key for m in messages]


def statuses(messages) -> dict[str, str]:
    return dict(
        Message.objects.filter(pk__in=[m.pk for m in messages]).values_list(
            "idempotency_key", "status"
        )
    )


def test_a_batch_is_sent_concurrently_each_message_once(account, rsps, settings, announced):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SEND_CONCURRENCY": 8}
    messages = MessageFactory.create_batch(20)
    zalo = FakeZalo(rsps, delay=0.05)
    assert send_messages(keys_of(messages)) == 20
    assert sorted(zalo.tracking_ids()) == sorted(keys_of(messages))
    assert zalo.most_in_flight > 1
    assert set(statuses(messages).values()) == {Message.Status.SENT}
    assert MessageEvent.objects.filter(kind="attempt", status="sent").count() == 20
    assert sorted(pk for signal, pk in announced if signal is signals.message_sent) == sorted(
        m.pk for m in messages
    )


def test_the_quota_ledger_keeps_the_batchs_lowest_echo(account, rsps):
    messages = MessageFactory.create_batch(5)
    remaining = {m.idempotency_key: 300 + i for i, m in enumerate(messages)}
    FakeZalo(
        rsps, answer=lambda body, token: ok(body["tracking_id"], remaining[body["tracking_id"]])
    )
    send_messages(keys_of(messages))
    assert ZaloQuota.objects.get().remaining_quota == 300


def test_partial_failures_in_a_batch_are_recorded_message_by_message(account, rsps, announced):
    sent, fails, retries, quota_gone = MessageFactory.create_batch(4)
    answers = {
        sent.idempotency_key: ok(sent.idempotency_key),
        fails.idempotency_key: error(-118, "Phone not on Zalo"),
        retries.idempotency_key: error(-100, "Unknown error"),
        quota_gone.idempotency_key: error(-144, "Daily quota exceeded"),
    }
    FakeZalo(rsps, answer=lambda body, token: answers[body["tracking_id"]])
    assert send_messages(keys_of([sent, fails, retries, quota_gone])) == 4
    for message in (sent, fails, retries, quota_gone):
        message.refresh_from_db()
    assert sent.status == Message.Status.SENT
    assert (fails.status, fails.error_code, fails.error_category) == ("failed", -118, "recipient")
    assert (retries.status, retries.error_category) == ("queued", "retry")
    assert retries.next_attempt_at > timezone.now()
    assert (quota_gone.status, quota_gone.error_code) == ("queued", -144)
    assert [pk for signal, pk in announced if signal is signals.message_failed] == [fails.pk]
    assert not Message.objects.filter(status=Message.Status.SENDING).exists()


def test_a_token_rejected_mid_batch_is_refreshed_once_and_the_refused_go_again(account, rsps):
    old_token = account.access_token
    messages = MessageFactory.create_batch(10)
    accepted_with_old = set(keys_of(messages[:4]))

    def answer(body, token):
        if token == old_token and body["tracking_id"] not in accepted_with_old:
            return error(-124, "Access token invalid")  # expired while the batch was out
        return ok(body["tracking_id"])

    zalo = FakeZalo(rsps, answer=answer)
    rsps.add(
        responses.POST,
        f"{OAUTH}/v4/oa/access_token",
        json={"access_token": "fresh", "refresh_token": "fresh-r", "expires_in": "90000"},
    )
    assert send_messages(keys_of(messages)) == 10
    assert len([c for c in rsps.calls if "/v4/oa/access_token" in c.request.url]) == 1
    assert set(statuses(messages).values()) == {Message.Status.SENT}
    assert len(zalo.bodies) == 16  # 10, then the 6 refused ones again
    assert Message.objects.filter(attempts=1).count() == 10  # one attempt each


def test_new_tokens_refused_in_a_row_leave_the_refused_waiting_for_a_reconnect(account, rsps):
    """Issue 15 §2 changed this from "one fresh token refused": every token Zalo hands out
    is refused on first use, FRESH_TOKEN_REFUSALS of them in a row."""
    messages = MessageFactory.create_batch(3)
    FakeZalo(rsps, answer=lambda body, token: error(-124, "Access token invalid"))
    for n in range(FRESH_TOKEN_REFUSALS - 1):
        rsps.add(
            responses.POST,
            f"{OAUTH}/v4/oa/access_token",
            json={"access_token": f"fresh-{n}", "refresh_token": f"r-{n}", "expires_in": "90000"},
        )
    send_messages(keys_of(messages))
    assert set(statuses(messages).values()) == {Message.Status.QUEUED}
    assert all(
        "reconnect the OA" in m.error_message
        for m in Message.objects.filter(pk__in=[m.pk for m in messages])
    )
    assert ZaloAccount.objects.get().needs_reconnect


def test_a_failed_refresh_is_recorded_on_each_refused_message(account, rsps):
    messages = MessageFactory.create_batch(3)
    FakeZalo(rsps, answer=lambda body, token: error(-124, "Access token invalid"))
    rsps.add(responses.POST, f"{OAUTH}/v4/oa/access_token", status=503)
    send_messages(keys_of(messages))
    rows = Message.objects.filter(pk__in=[m.pk for m in messages])
    assert {(m.status, m.error_category) for m in rows} == {("queued", "retry")}


def test_an_exception_in_the_pool_never_loses_an_outcome(account, rsps, monkeypatch):
    messages = MessageFactory.create_batch(6)
    broken = messages[2].idempotency_key
    real = ZaloClient.send_template

    def send_template(self, **kwargs):
        if kwargs["tracking_id"] == broken:
            raise KeyError("a bug")
        return real(self, **kwargs)

    monkeypatch.setattr(ZaloClient, "send_template", send_template)
    FakeZalo(rsps)
    assert send_messages(keys_of(messages)) == 6
    found = statuses(messages)
    assert found.pop(broken) == Message.Status.QUEUED
    assert set(found.values()) == {Message.Status.SENT}
    failed = Message.objects.get(idempotency_key=broken)
    # The request may have left: an ambiguous send, waiting for a receipt (AMBIGUOUS_SENDS).
    assert failed.error_category == "ambiguous" and "KeyError" in failed.error_message
    assert not Message.objects.filter(status=Message.Status.SENDING).exists()


def test_a_failed_group_write_falls_back_to_one_transaction_per_outcome(account, rsps, monkeypatch):
    messages = MessageFactory.create_batch(4)
    FakeZalo(rsps)
    real_create = MessageEvent.objects.create
    calls = []

    def create_failing_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise DatabaseError("disk I/O error")
        return real_create(**kwargs)

    monkeypatch.setattr(MessageEvent.objects, "create", create_failing_once)
    monkeypatch.setattr(send, "wait", lambda pending, **_kwargs: (set(pending), set()))
    assert send_messages(keys_of(messages)) == 4
    assert set(statuses(messages).values()) == {Message.Status.SENT}
    # Each message has exactly one "sent" entry: the rolled-back group left none behind.
    assert MessageEvent.objects.filter(status="sent").count() == 4
    assert Message.objects.filter(attempts=1).count() == 4


def test_the_gate_defers_without_a_call(account, rsps):
    from zns_notify.lib.clock import local_day

    ZaloQuota.objects.create(account=account, day=local_day(), daily_quota=500, remaining_quota=0)
    messages = MessageFactory.create_batch(3)
    zalo = FakeZalo(rsps)
    send_messages(keys_of(messages))
    assert zalo.bodies == []
    rows = Message.objects.filter(pk__in=[m.pk for m in messages])
    assert {(m.status, m.attempts) for m in rows} == {("queued", 0)}


def test_a_disabled_template_holds_its_messages_and_the_others_go(account, rsps):
    held = MessageFactory(template=TemplateFactory(template_id="100008", status="PENDING_REVIEW"))
    other = MessageFactory()
    zalo = FakeZalo(rsps)
    send_messages(keys_of([held, other]))
    assert zalo.tracking_ids() == [other.idempotency_key]
    assert statuses([held, other]) == {
        held.idempotency_key: "queued",
        other.idempotency_key: "sent",
    }


def test_without_a_connected_account_the_batch_waits_unclaimed(db, rsps):
    messages = MessageFactory.create_batch(2)
    zalo = FakeZalo(rsps)
    assert send_messages(keys_of(messages)) == 0
    assert zalo.bodies == []
    rows = Message.objects.filter(pk__in=[m.pk for m in messages])
    assert {(m.status, m.attempts) for m in rows} == {("queued", 0)}
    assert all(m.next_attempt_at > timezone.now() for m in rows)


def test_a_one_key_task_tops_itself_up_with_other_due_messages(account, rsps, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SEND_CONCURRENCY": 4, "SEND_BATCH": 10}
    backlog = MessageFactory.create_batch(12)
    later = MessageFactory(next_attempt_at=timezone.now() + dt.timedelta(hours=1))
    zalo = FakeZalo(rsps)
    assert send_messages([backlog[-1].idempotency_key]) == 10
    assert len(zalo.bodies) == 10 and backlog[-1].idempotency_key in zalo.tracking_ids()
    assert later.idempotency_key not in zalo.tracking_ids()
    # The tasks of the messages it took find nothing left to do.
    assert send_messages([backlog[0].idempotency_key]) == 2


def test_without_top_up_a_task_sends_only_its_keys(account, rsps, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SEND_TOP_UP": False}
    first, _second = MessageFactory.create_batch(2)
    zalo = FakeZalo(rsps)
    assert send_messages([first.idempotency_key]) == 1
    assert zalo.tracking_ids() == [first.idempotency_key]


def test_a_late_batch_cannot_overwrite_the_outcome_of_the_worker_that_took_over(account, rsps):
    message = MessageFactory()
    late = claim_keys([message.idempotency_key])
    Message.objects.filter(pk=message.pk).update(
        claimed_at=timezone.now() - dt.timedelta(minutes=10)
    )
    sweep()  # recovers the stale row (an ambiguous send: it waits for a receipt)
    Message.objects.filter(pk=message.pk).update(next_attempt_at=None)  # none came
    (current,) = claim_keys([message.idempotency_key])  # another worker claims it
    assert current.attempts == 2
    FakeZalo(rsps)
    assert send.send_batch(late, ZaloClient.from_settings()) == 0
    message.refresh_from_db()
    assert (message.status, message.attempts, message.msg_id) == ("sending", 2, "")


def test_concurrent_claims_of_the_same_keys_share_them_out(account):
    messages = MessageFactory.create_batch(40)
    keys = keys_of(messages)
    claimed: list[list[int]] = []
    start = threading.Barrier(3)

    def worker(claim):
        try:
            start.wait()
            claimed.append([m.pk for m in claim()])
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(lambda: claim_keys(keys),)),
        threading.Thread(target=worker, args=(lambda: claim_keys(keys[::-1]),)),
        threading.Thread(target=worker, args=(lambda: claim_more(40),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [pk for pks in claimed for pk in pks]
    assert sorted(everything) == sorted(m.pk for m in messages)  # each once, none lost
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}


def test_the_top_up_leaves_messages_leased_to_another_task_alone(account, rsps):
    leased = MessageFactory(relayed_at=timezone.now())
    lease_ran_out = MessageFactory(relayed_at=timezone.now() - dt.timedelta(hours=1))
    own = MessageFactory()
    zalo = FakeZalo(rsps)
    send_messages([own.idempotency_key])
    assert sorted(zalo.tracking_ids()) == sorted(
        [own.idempotency_key, lease_ran_out.idempotency_key]
    )
    assert statuses([leased])[leased.idempotency_key] == Message.Status.QUEUED


def test_past_the_time_budget_the_unclaimed_keys_are_queued_again(
    account, rsps, settings, monkeypatch
):
    from django_q.models import OrmQ

    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SEND_CONCURRENCY": 4}
    monkeypatch.setattr("zns_notify.tasks._time_budget", lambda: 0.0)
    messages = MessageFactory.create_batch(10)
    FakeZalo(rsps)
    assert send_messages(keys_of(messages)) == 4  # the first claim goes out whole
    pushed = [key for task in OrmQ.objects.all() for key in task.task["args"][0]]
    assert pushed == keys_of(messages)[4:]
    assert not Message.objects.filter(status=Message.Status.SENDING).exists()


def test_no_more_than_the_quota_left_is_in_flight(account, rsps):
    from zns_notify.lib.clock import local_day

    ZaloQuota.objects.create(account=account, day=local_day(), daily_quota=500, remaining_quota=2)
    messages = MessageFactory.create_batch(5)
    left = iter([1, 0])
    zalo = FakeZalo(rsps, answer=lambda body, token: ok(body["tracking_id"], next(left)))
    send_messages(keys_of(messages))
    assert len(zalo.bodies) == 2 and zalo.most_in_flight <= 2
    waiting = Message.objects.filter(status=Message.Status.QUEUED)
    assert waiting.count() == 3
    assert all(m.error_code is None and m.attempts == 0 for m in waiting)  # the gate, no -144


def test_with_no_quota_known_today_one_send_goes_first(account, rsps):
    messages = MessageFactory.create_batch(4)
    zalo = FakeZalo(rsps, answer=lambda body, token: ok(body["tracking_id"], 0), delay=0.02)
    send_messages(keys_of(messages))
    assert len(zalo.bodies) == 1
    assert Message.objects.filter(status=Message.Status.QUEUED, error_code=None).count() == 3


def test_the_policy_gate_decides_inside_a_batch_and_the_cap_is_exact(account, rsps, settings):
    """The shop's policy runs on every message of a batch: one over the recipient cap is
    skipped, an opted-out one too, and the ledger counts only the sends Zalo accepted."""
    from zns_notify import opt_out
    from zns_notify.models import RecipientDailyCount

    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "RECIPIENT_DAILY_CAP": 2}
    promo = TemplateFactory(tag="PROMOTION")
    settings.ZNS_NOTIFY["QUIET_HOURS"] = {}  # whatever the hour this runs at
    capped = MessageFactory.create_batch(
        3, phone="84901000001", template=promo, zalo_template_id=promo.template_id
    )
    opted = MessageFactory(phone="84901000002", template=promo, zalo_template_id=promo.template_id)
    opt_out("84901000002", reason="test")
    zalo = FakeZalo(rsps)
    send_messages(keys_of([*capped, opted]))
    found = statuses([*capped, opted])
    assert sorted(found[m.idempotency_key] for m in capped) == ["sent", "sent", "skipped"]
    assert found[opted.idempotency_key] == "skipped"
    assert len(zalo.bodies) == 2
    assert RecipientDailyCount.objects.get(phone="84901000001").count == 2
