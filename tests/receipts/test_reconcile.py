"""The reconciler: sent messages without a receipt, asked about through GET /message/status."""

from __future__ import annotations

import datetime as dt
import json
import logging
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from django.db import transaction
from django.utils import timezone

from tests.conftest import API
from tests.factories import MessageFactory, TemplateFactory
from tests.signal_capture import listening
from zns_notify import signals
from zns_notify.models import Message, MessageEvent, ZaloAccount
from zns_notify.receipts import reconcile as reconciler
from zns_notify.receipts.delivery import record_delivered
from zns_notify.receipts.reconcile import reconcile
from zns_notify.tasks import ensure_schedules

pytestmark = pytest.mark.django_db(transaction=True)

DELIVERY_MS = 1763800000123


class FakeClock:
    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def heard():
    with listening(*signals.OUTGOING.values()) as seen:
        yield seen


def status_api(zalo_api, answers):
    """Answer GET /message/status from ``answers``: {msg_id: data dict or (error, message)}."""
    asked = []

    def callback(request):
        query = parse_qs(urlparse(request.url).query)
        msg_id = query["message_id"][0]
        asked.append((msg_id, query.get("phone", [""])[0]))
        answer = answers[msg_id]
        if callable(answer):
            answer = answer()
        if isinstance(answer, tuple):
            return 200, {}, json.dumps({"error": answer[0], "message": answer[1], "data": None})
        return 200, {}, json.dumps({"error": 0, "message": "Success", "data": answer})

    zalo_api.rsps.add_callback(responses.GET, f"{API}/message/status", callback=callback)
    zalo_api.rsps.assert_all_requests_are_fired = False
    return asked


def sent(minutes_ago: float = 10, **kwargs) -> Message:
    return MessageFactory(
        status=Message.Status.SENT,
        sent_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        **kwargs,
    )


def test_the_schedule_is_created_once(db):
    from django_q.models import Schedule

    ensure_schedules()
    ensure_schedules()
    schedule = Schedule.objects.get(name="zns_notify.reconcile")
    assert schedule.func == "zns_notify.tasks.reconcile" and schedule.minutes == 5


@pytest.mark.parametrize(
    "status, delivery_time",
    [
        (1, str(DELIVERY_MS)),
        ("1", str(DELIVERY_MS)),
        (1, DELIVERY_MS),
        ("1", DELIVERY_MS),
    ],
)
def test_status_1_delivers_at_zalos_delivery_time(account, zalo_api, heard, status, delivery_time):
    message = sent(msg_id="m1")
    asked = status_api(
        zalo_api,
        {
            "m1": {
                "status": status,
                "delivery_time": delivery_time,
                "message": "The message was delivered",
            }
        },
    )
    report = reconcile(sleep=lambda s: None)
    assert report["delivered"] == 1 and report["checked"] == 1
    assert asked == [("m1", "84912345678")]
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert int(message.delivered_at.timestamp() * 1000) == DELIVERY_MS
    receipt = message.timeline.get()
    assert receipt.kind == MessageEvent.Kind.RECEIPT and "status API" in receipt.detail
    assert [s for s, _ in heard] == [signals.message_delivered]
    assert heard[0][1]["delivered_at"] == message.delivered_at
    assert heard[0][1]["message"].pk == message.pk


def test_status_1_without_delivery_time_delivers_now(account, zalo_api):
    message = sent(msg_id="m1")
    status_api(zalo_api, {"m1": {"status": "1"}})
    before = timezone.now()
    reconcile(sleep=lambda s: None)
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED and message.delivered_at >= before


def test_status_0_waits_and_is_not_asked_again_every_run(account, zalo_api, heard, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "RECONCILE_AFTER": 300}
    message = sent(minutes_ago=20, msg_id="m1")
    asked = status_api(zalo_api, {"m1": {"status": "0", "message": "not yet"}})
    assert reconcile(sleep=lambda s: None)["pending"] == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.status_checked_at is not None
    # Checks thin out: the next one waits as long as the message is old (20 minutes).
    wait = message.next_status_check_at - message.status_checked_at
    assert dt.timedelta(minutes=19) < wait < dt.timedelta(minutes=21)
    assert reconcile(sleep=lambda s: None)["checked"] == 0
    assert len(asked) == 1 and heard == []
    Message.objects.filter(pk=message.pk).update(next_status_check_at=timezone.now())
    assert reconcile(sleep=lambda s: None)["pending"] == 1
    assert len(asked) == 2


def test_next_check_waits_at_least_reconcile_after_at_most_an_hour_never_past_timeout(db, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "RECONCILE_AFTER": 300}
    now = timezone.now()
    template = TemplateFactory(timeout_ms=None)
    fresh = Message(sent_at=now - dt.timedelta(seconds=30), template=template)
    assert reconciler.next_check(fresh, now) == now + dt.timedelta(seconds=300)
    old = Message(sent_at=now - dt.timedelta(minutes=100), template=template)
    assert reconciler.next_check(old, now) == now + dt.timedelta(minutes=20)  # the 2 h timeout
    quick = Message(
        sent_at=now - dt.timedelta(minutes=6), template=TemplateFactory(timeout_ms=15_000_000)
    )  # 250 minutes
    assert reconciler.next_check(quick, now) == now + dt.timedelta(minutes=6)
    ancient = Message(
        sent_at=now - dt.timedelta(minutes=200), template=TemplateFactory(timeout_ms=15_000_000)
    )
    assert reconciler.next_check(ancient, now) == now + dt.timedelta(minutes=50)


def test_too_recent_messages_and_other_statuses_are_left_alone(account, zalo_api, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "RECONCILE_AFTER": 300}
    sent(minutes_ago=2, msg_id="fresh")
    MessageFactory(
        status=Message.Status.DELIVERED,
        msg_id="done",
        sent_at=timezone.now() - dt.timedelta(hours=1),
    )
    MessageFactory(status=Message.Status.QUEUED)
    asked = status_api(zalo_api, {})
    assert reconcile(sleep=lambda s: None)["checked"] == 0
    assert asked == []


def test_status_0_past_the_templates_timeout_is_undelivered(account, zalo_api, heard):
    template = TemplateFactory(timeout_ms=900_000)  # 15 minutes
    message = sent(minutes_ago=16, msg_id="m1", template=template)
    status_api(zalo_api, {"m1": {"status": 0}})
    assert reconcile(sleep=lambda s: None)["undelivered"] == 1
    message.refresh_from_db()
    assert message.status == Message.Status.UNDELIVERED and message.is_final
    assert "15 min" in message.error_message
    assert message.timeline.get().status == Message.Status.UNDELIVERED
    assert [s for s, _ in heard] == [signals.message_undelivered]
    assert heard[0][1]["reason"] == message.error_message


def test_without_a_template_timeout_delivery_timeout_applies(account, zalo_api, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "DELIVERY_TIMEOUT": 3600}
    template = TemplateFactory(timeout_ms=None)
    late = sent(minutes_ago=61, msg_id="late", template=template)
    early = sent(minutes_ago=59, msg_id="early", template=template)
    status_api(zalo_api, {"late": {"status": 0}, "early": {"status": 0}})
    reconcile(sleep=lambda s: None)
    late.refresh_from_db()
    early.refresh_from_db()
    assert late.status == Message.Status.UNDELIVERED
    assert early.status == Message.Status.SENT


def test_status_minus_1_waits_for_the_timeout_then_is_undelivered(account, zalo_api, heard):
    """-1 may only mean Zalo's lookup lags behind the send; undelivered is final."""
    message = sent(msg_id="m1")
    status_api(zalo_api, {"m1": {"status": "-1", "message": "The message does not exist"}})
    assert reconcile(sleep=lambda s: None)["pending"] == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and heard == []
    Message.objects.filter(pk=message.pk).update(
        sent_at=timezone.now() - dt.timedelta(hours=3), next_status_check_at=timezone.now()
    )
    assert reconcile(sleep=lambda s: None)["undelivered"] == 1
    message.refresh_from_db()
    assert message.status == Message.Status.UNDELIVERED and "-1" in message.error_message
    assert [s for s, _ in heard] == [signals.message_undelivered]


def test_batch_bounds_a_run_oldest_first(account, zalo_api, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "RECONCILE_BATCH": 3}
    for minutes in (30, 50, 10, 40, 20):
        sent(minutes_ago=minutes, msg_id=f"m{minutes}")
    asked = status_api(zalo_api, {f"m{m}": {"status": 0} for m in (10, 20, 30, 40, 50)})
    assert reconcile(sleep=lambda s: None)["checked"] == 3
    assert [msg_id for msg_id, _ in asked] == ["m50", "m40", "m30"]
    reconcile(sleep=lambda s: None)
    assert [msg_id for msg_id, _ in asked][3:] == ["m20", "m10"]


def test_rate_bounds_calls_per_second(account, zalo_api, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "RECONCILE_RATE": 2}
    for n in range(5):
        sent(minutes_ago=10 + n, msg_id=f"m{n}")
    asked = status_api(zalo_api, {f"m{n}": {"status": 0} for n in range(5)})
    clock = FakeClock()
    reconcile(sleep=clock.sleep, clock=clock)
    assert len(asked) == 5
    assert clock.now == pytest.approx(2.0)  # calls at 0, 0.5, 1, 1.5 and 2 seconds


def test_a_slow_answer_is_not_made_up_for_by_a_burst(account, zalo_api, settings):
    """RECONCILE_RATE bounds the gap between two status calls, measured at the calls: after
    a slow answer (or a slow claim), the next calls do not catch up on a schedule kept
    from the run's start."""
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "RECONCILE_RATE": 2}
    clock, at = FakeClock(), []

    def answer(seconds):
        def respond():
            at.append(clock.now)
            clock.now += seconds  # Zalo takes this long to answer
            return {"status": 0}

        return respond

    for n in range(4):
        sent(minutes_ago=10 + n, msg_id=f"m{n}")
    status_api(zalo_api, {"m3": answer(1.2), **{f"m{n}": answer(0.0) for n in range(3)}})
    reconcile(sleep=clock.sleep, clock=clock)
    gaps = [b - a for a, b in zip(at, at[1:], strict=False)]
    assert len(at) == 4 and min(gaps) == pytest.approx(0.5), at  # 0, 1.2, 1.7, 2.2


def test_batch_zero_turns_it_off(account, zalo_api, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "RECONCILE_BATCH": 0}
    sent(msg_id="m1")
    asked = status_api(zalo_api, {})
    assert reconcile()["checked"] == 0 and asked == []


def test_a_run_stops_at_its_time_budget(account, zalo_api, monkeypatch):
    monkeypatch.setattr(reconciler, "_time_budget", lambda: 0.5)
    for n in range(5):
        sent(minutes_ago=10 + n, msg_id=f"m{n}")
    asked = status_api(zalo_api, {f"m{n}": {"status": 0} for n in range(5)})
    clock = FakeClock()
    report = reconcile(sleep=clock.sleep, clock=clock)  # 5 calls a second by default
    assert report["checked"] == len(asked) == 3  # at 0, 0.2 and 0.4 s; 0.6 is past 0.5
    untouched = Message.objects.filter(status_checked_at__isnull=True)
    assert untouched.count() == 2  # not claimed: due again next run


def test_status_api_errors_never_break_the_run(account, zalo_api, caplog):
    broken = sent(minutes_ago=30, msg_id="broken")
    fine = sent(minutes_ago=20, msg_id="fine")
    status_api(
        zalo_api,
        {
            "broken": (-100, "Unknown error"),
            "fine": {"status": 1, "delivery_time": str(DELIVERY_MS)},
        },
    )
    with caplog.at_level(logging.WARNING, logger="zns_notify.reconcile"):
        report = reconcile(sleep=lambda s: None)
    assert report["errors"] == 1 and report["delivered"] == 1
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.status == Message.Status.SENT and broken.next_status_check_at > timezone.now()
    assert fine.status == Message.Status.DELIVERED
    assert "-100" in caplog.text


def test_transport_errors_stop_the_run_after_three(account, zalo_api):
    for n in range(5):
        sent(minutes_ago=10 + n, msg_id=f"m{n}")
    zalo_api.rsps.add(responses.GET, f"{API}/message/status", status=502, body="bad gateway")
    report = reconcile(sleep=lambda s: None)
    assert report["errors"] == 3 and report["checked"] == 3
    assert (
        Message.objects.filter(
            status=Message.Status.SENT, next_status_check_at__isnull=True
        ).count()
        == 2
    )
    assert not Message.objects.exclude(status=Message.Status.SENT).exists()


def test_unexpected_exception_is_logged_and_the_run_goes_on(account, zalo_api, monkeypatch, caplog):
    sent(minutes_ago=30, msg_id="m1")
    sent(minutes_ago=20, msg_id="m2")
    real = reconciler._ask
    calls = []

    def flaky(client, token, message):
        calls.append(message.msg_id)
        if message.msg_id == "m1":
            raise RuntimeError("boom")
        return real(client, token, message)

    monkeypatch.setattr(reconciler, "_ask", flaky)
    status_api(zalo_api, {"m2": {"status": 1}})
    report = reconcile(sleep=lambda s: None)
    assert calls == ["m1", "m2"] and report["errors"] == 1 and report["delivered"] == 1
    assert "boom" in caplog.text


def test_rejected_token_is_refreshed_once_through_the_normal_path(account, zalo_api):
    message = sent(msg_id="m1")
    answers = iter([(-124, "Access token is invalid"), {"status": 1, "delivery_time": "1"}])
    status_api(zalo_api, {"m1": lambda: next(answers)})
    zalo_api.refresh_ok(access="fresh-access", refresh="fresh-refresh")
    assert reconcile(sleep=lambda s: None)["delivered"] == 1
    assert ZaloAccount.objects.get().access_token == "fresh-access"
    assert (
        zalo_api.calls_to("/message/status")[-1].request.headers["access_token"] == "fresh-access"
    )
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED


def test_no_call_while_the_oa_needs_reconnecting(db, zalo_api):
    from tests.factories import ZaloAccountFactory

    ZaloAccountFactory(
        needs_reconnect=True, access_token_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    message = sent(msg_id="m1")
    asked = status_api(zalo_api, {})
    assert reconcile()["checked"] == 0 and asked == []
    message.refresh_from_db()
    assert message.status_checked_at is None


def test_hashed_phone_sends_no_phone(account, zalo_api, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "HASH_PHONE": True}
    sent(msg_id="m1")
    asked = status_api(zalo_api, {"m1": {"status": 0}})
    reconcile(sleep=lambda s: None)
    assert asked == [("m1", "")]


# -- concurrency: claims, and a webhook that comes meanwhile ---------------------------------


def test_a_row_is_claimed_by_one_worker_only(account):
    message = sent(msg_id="m1")
    assert reconciler._claim(message.pk, None) is not None
    assert reconciler._claim(message.pk, None) is None  # the second worker read it unclaimed


def test_a_message_claimed_by_another_worker_is_not_asked_about(account, zalo_api, monkeypatch):
    message = sent(msg_id="m1")
    real_due = reconciler._due

    def due_then_other_worker_claims(now, limit):
        rows = real_due(now, limit)
        reconciler._claim(message.pk, None)  # the other worker, between our read and claim
        return rows

    monkeypatch.setattr(reconciler, "_due", due_then_other_worker_claims)
    asked = status_api(zalo_api, {})
    assert reconcile(sleep=lambda s: None)["lost"] == 1 and asked == []


def test_webhook_that_delivers_meanwhile_wins_and_is_announced_once(account, zalo_api, heard):
    message = sent(msg_id="m1")
    webhook_time = timezone.now() - dt.timedelta(minutes=5)

    def webhook_first():
        # The webhook lands while the status call is in flight.
        record_delivered(Message.objects.get(pk=message.pk), webhook_time, detail="webhook")
        return {"status": 1, "delivery_time": str(DELIVERY_MS)}

    status_api(zalo_api, {"m1": webhook_first})
    assert reconcile(sleep=lambda s: None)["lost"] == 1
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED and message.delivered_at == webhook_time
    assert [s for s, _ in heard] == [signals.message_delivered]
    assert message.timeline.count() == 1


def test_a_webhook_after_an_undelivered_verdict_changes_nothing(account, zalo_api, heard):
    message = sent(minutes_ago=180, msg_id="m1")  # past the 2 h default timeout
    status_api(zalo_api, {"m1": {"status": -1}})
    reconcile(sleep=lambda s: None)
    assert not record_delivered(Message.objects.get(pk=message.pk), timezone.now(), detail="late")
    message.refresh_from_db()
    assert message.status == Message.Status.UNDELIVERED
    assert [s for s, _ in heard] == [signals.message_undelivered]


def test_outcomes_are_not_announced_when_the_transaction_rolls_back(account, heard):
    message = sent(msg_id="m1")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert record_delivered(message, timezone.now(), detail="webhook")
        raise RuntimeError("rolled back")
    assert heard == []
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
