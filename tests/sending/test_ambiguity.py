"""Sends with an unknown outcome (timeouts and resets after sending, HTTP 5xx, a worker that
died while sending) and the AMBIGUOUS_SENDS policy: verify, retry, fail."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests
import responses
from django.utils import timezone

from tests.conftest import API, OAUTH
from tests.factories import MessageFactory, ZaloAccountFactory
from tests.receipts.test_webhooks import APP_ID, receipt
from tests.signal_capture import listening
from zns_notify import signals
from zns_notify.models import Message, MessageEvent
from zns_notify.receipts import inbox
from zns_notify.sending.send import deliver
from zns_notify.tasks import sweep

pytestmark = pytest.mark.django_db(transaction=True)

SEND = f"{API}/message/template"


@pytest.fixture
def policy(settings):
    def set_policy(name: str, **more) -> None:
        settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "AMBIGUOUS_SENDS": name, **more}

    return set_policy


@pytest.fixture
def failures():
    with listening(signals.message_failed, record=lambda signal, kwargs: kwargs) as seen:
        yield seen


def timeout_once(zalo_api) -> None:
    zalo_api.rsps.add(responses.POST, SEND, body=requests.ReadTimeout("read timed out"))


def receive_receipt(message: Message, msg_id: str = "") -> str:
    body = receipt(msg_id=msg_id, tracking_id=message.idempotency_key)
    return inbox.receive(body, json.loads(body), APP_ID, None)


def make_due(message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


@pytest.mark.parametrize(
    "failure",
    [
        requests.ReadTimeout("read timed out"),
        requests.ConnectionError("Connection reset by peer"),
    ],
)
def test_verify_waits_for_the_receipt_before_sending_again(account, zalo_api, policy, failure):
    policy("verify", AMBIGUOUS_GRACE=600)
    message = MessageFactory()
    zalo_api.rsps.add(responses.POST, SEND, body=failure)
    before = timezone.now()
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert (message.status, message.error_category) == (Message.Status.QUEUED, "ambiguous")
    assert message.ambiguous_sends == 1 and message.attempts == 1
    assert message.next_attempt_at >= before + dt.timedelta(seconds=600)
    note = MessageEvent.objects.get(message=message)
    assert "delivery receipt" in note.detail and "twice" in note.detail
    assert deliver(message.idempotency_key) is None  # not due: no call (responses would fail)
    assert len(zalo_api.calls_to("/message/template")) == 1


def test_a_receipt_in_the_grace_period_delivers_and_cancels_the_resend(account, zalo_api, policy):
    policy("verify")
    message = MessageFactory()
    timeout_once(zalo_api)
    deliver(message.idempotency_key)
    # Zalo had accepted it: its receipt carries the tracking_id, not a msg_id we know.
    assert receive_receipt(message, msg_id="zalo-msg-1") == "applied"
    make_due(message)
    assert deliver(message.idempotency_key) is None
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED and message.ambiguous_sends == 1
    assert len(zalo_api.calls_to("/message/template")) == 1


def test_without_a_receipt_the_message_is_sent_again_after_the_grace(account, zalo_api, policy):
    policy("verify")
    message = MessageFactory()
    timeout_once(zalo_api)
    deliver(message.idempotency_key)
    make_due(message)
    zalo_api.send_ok(msg_id="second")
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert (message.status, message.msg_id) == (Message.Status.SENT, "second")
    assert message.attempts == 2 and message.ambiguous_sends == 1


def test_http_5xx_is_ambiguous_but_a_zalo_error_code_is_an_answer(account, zalo_api, policy):
    policy("verify")
    five, coded = MessageFactory(), MessageFactory()
    zalo_api.rsps.add(responses.POST, SEND, status=502, body="<html>Bad gateway</html>")
    deliver(five.idempotency_key)
    zalo_api.send_error(-100, "Unknown error")
    deliver(coded.idempotency_key)
    five.refresh_from_db()
    coded.refresh_from_db()
    assert (five.error_category, five.ambiguous_sends) == ("ambiguous", 1)
    assert (coded.error_category, coded.ambiguous_sends) == ("retry", 0)
    assert coded.next_attempt_at < timezone.now() + dt.timedelta(seconds=5)  # plain backoff


def test_a_refused_connection_never_reached_zalo(account, zalo_api, policy):
    from types import SimpleNamespace

    from urllib3.exceptions import NewConnectionError

    policy("verify")
    message = MessageFactory()
    # What requests raises for a refused connection: a MaxRetryError whose reason says so.
    refused = requests.ConnectionError(SimpleNamespace(reason=NewConnectionError(None, "refused")))
    zalo_api.rsps.add(responses.POST, SEND, body=refused)
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert (message.error_category, message.ambiguous_sends) == ("retry", 0)


def test_a_token_refresh_that_times_out_is_not_an_ambiguous_send(zalo_api, policy):
    policy("verify")
    ZaloAccountFactory(access_token_expires_at=timezone.now() + dt.timedelta(seconds=30))
    message = MessageFactory()
    zalo_api.rsps.add(
        responses.POST, f"{OAUTH}/v4/oa/access_token", body=requests.ReadTimeout("read timed out")
    )
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert (message.error_category, message.ambiguous_sends) == ("retry", 0)
    assert not zalo_api.calls_to("/message/template")


def test_retry_sends_again_after_the_usual_backoff(account, zalo_api, policy):
    policy("retry")  # tests/settings.py: RETRY_BACKOFF 1 s
    message = MessageFactory()
    timeout_once(zalo_api)
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert (message.status, message.ambiguous_sends) == (Message.Status.QUEUED, 1)
    assert message.next_attempt_at < timezone.now() + dt.timedelta(seconds=5)
    assert "sent again" in message.error_message


def test_fail_never_sends_again_and_announces_the_failure(account, zalo_api, policy, failures):
    policy("fail")
    message = MessageFactory()
    timeout_once(zalo_api)
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert (message.status, message.error_category) == (Message.Status.FAILED, "ambiguous")
    assert message.next_attempt_at is None and message.ambiguous_sends == 1
    assert [f["category"] for f in failures] == ["ambiguous"]
    assert "not sent again" in message.error_message


def test_verify_gives_up_when_no_attempts_are_left(account, zalo_api, policy, failures):
    policy("verify", MAX_ATTEMPTS=1)
    message = MessageFactory()
    timeout_once(zalo_api)
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert (message.status, message.error_category) == (Message.Status.FAILED, "ambiguous")
    assert "No attempts are left" in message.error_message and len(failures) == 1


# -- a worker that died while sending ------------------------------------------------------


def stale(**fields) -> Message:
    old = timezone.now() - dt.timedelta(minutes=10)
    return MessageFactory(status=Message.Status.SENDING, claimed_at=old, attempts=1, **fields)


def test_a_dead_workers_row_waits_for_its_receipt_under_verify(account, policy):
    policy("verify", AMBIGUOUS_GRACE=600, SEND_LEASE=60)
    message = stale()
    sweep()
    message.refresh_from_db()
    assert (message.status, message.ambiguous_sends) == (Message.Status.QUEUED, 1)
    assert message.next_attempt_at > timezone.now() + dt.timedelta(seconds=590)
    assert receive_receipt(message) == "applied"
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED


def test_a_receipt_for_a_row_still_sending_under_a_dead_worker_settles_it(account, policy):
    policy("verify")
    message = stale()
    assert receive_receipt(message, msg_id="zalo-msg-9") == "applied"
    sweep()
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED and message.ambiguous_sends == 0
    assert not MessageEvent.objects.filter(message=message, kind="note").exists()


def test_the_lease_is_a_setting(account, policy):
    policy("retry", SEND_LEASE=900)  # the row is 10 minutes old: still within the lease
    message = stale()
    sweep()
    message.refresh_from_db()
    assert message.status == Message.Status.SENDING
    policy("retry", SEND_LEASE=300)
    sweep()
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED and message.next_attempt_at <= timezone.now()


def test_fail_fails_a_dead_workers_row(account, policy, failures):
    policy("fail")
    message = stale()
    sweep()
    message.refresh_from_db()
    assert (message.status, message.error_category) == (Message.Status.FAILED, "ambiguous")
    assert [f["category"] for f in failures] == ["ambiguous"]


def test_lost_task_after_is_a_setting(account, settings):
    from django_q.models import OrmQ

    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "LOST_TASK_AFTER": 30}
    young = MessageFactory(created_at=timezone.now() - dt.timedelta(seconds=10))
    old = MessageFactory(created_at=timezone.now() - dt.timedelta(seconds=40))
    assert sweep() == 1
    queued = {key for task in OrmQ.objects.all() for key in task.task["args"][0]}
    assert queued == {old.idempotency_key} and young.idempotency_key not in queued


def test_signals_docs_name_the_ambiguous_category_of_message_failed():
    # With AMBIGUOUS_SENDS "fail" (or no attempts left) message_failed carries the category
    # "ambiguous"; a host's SMS fallback keys on the documented categories.
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs/signals.md").read_text()
    row = next(line for line in text.splitlines() if line.startswith("| `message_failed` |"))
    assert "`ambiguous`" in row
