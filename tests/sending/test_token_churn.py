"""A refused access token (issue 15 §2): a token Zalo took before and refuses now has
expired, so it is refreshed again however often that happens; only brand-new tokens refused
on their first use, several in a row, make the OA need a reconnect, and a later refresh that
Zalo takes ends that wait by itself."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import requests
import responses
from django.utils import timezone

from tests.conftest import API, OAUTH
from tests.factories import MessageFactory
from tests.sending.test_batch import FakeZalo, error, keys_of, ok, statuses
from zns_notify.account import refusals
from zns_notify.models import Message, ZaloAccount
from zns_notify.sending.claim import postpone_all
from zns_notify.sending.send import deliver
from zns_notify.tasks import refresh_token, send_messages

pytestmark = pytest.mark.django_db(transaction=True)


class Rotating:
    """Zalo's token endpoint handing out a new pair on every refresh: fresh-1, fresh-2, ..."""

    def __init__(self, rsps):
        self.issued: list[str] = []
        rsps.add_callback(responses.POST, f"{OAUTH}/v4/oa/access_token", callback=self)

    def __call__(self, request):
        token = f"fresh-{len(self.issued) + 1}"
        self.issued.append(token)
        body = {"access_token": token, "refresh_token": f"r-{token}", "expires_in": "90000"}
        return 200, {}, json.dumps(body)


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_a_resent_message_refused_with_a_token_zalo_took_before_refreshes_again(account, rsps):
    """The issue's run: the first refresh's token was taken by other sends and had expired
    by the time the resent message met -124 again. That is an expiry, not a broken grant."""
    first, second = MessageFactory.create_batch(2)
    tokens = Rotating(rsps)

    def answer(body, token):
        key = body["tracking_id"]
        if token == account.access_token:
            return error(-124, "Access token invalid")  # the stored token expired
        if token == "fresh-1" and key == second.idempotency_key:
            return ok(key)  # Zalo took fresh-1 ...
        if token == "fresh-1":
            time.sleep(0.3)  # ... and by the time the first was resent, it had expired
            return error(-124, "Access token invalid")
        return ok(key)

    zalo = FakeZalo(rsps, answer=answer)
    send_messages(keys_of([first, second]))
    account.refresh_from_db()
    assert not account.needs_reconnect, account.reconnect_reason
    assert statuses([first, second]) == {
        first.idempotency_key: Message.Status.SENT,
        second.idempotency_key: Message.Status.SENT,
    }
    assert tokens.issued == ["fresh-1", "fresh-2"]
    assert zalo.tracking_ids().count(first.idempotency_key) == 3  # stored, fresh-1, fresh-2


def test_a_token_taken_before_by_another_worker_counts_as_expired_too(account, rsps):
    """What one worker's sends were answered with is known to the others through the
    account row: a -124 for that token is an expiry wherever it arrives."""
    message = MessageFactory()
    refusals.token_accepted(account.access_token)  # another worker's send went through
    tokens = Rotating(rsps)
    answers = iter([error(-124, "Access token invalid"), ok(message.idempotency_key)])
    FakeZalo(rsps, answer=lambda body, token: next(answers))
    deliver(message.idempotency_key)
    account.refresh_from_db()
    assert not account.needs_reconnect and account.fresh_token_refusals == 0
    assert Message.objects.get(pk=message.pk).status == Message.Status.SENT
    assert tokens.issued == ["fresh-1"]


def test_brand_new_tokens_refused_on_first_use_several_times_need_a_reconnect(account, rsps):
    """Zalo refuses every new token at once: after FRESH_TOKEN_REFUSALS of them in a row
    the OA needs a reconnect and the message waits, without refreshing forever."""
    message = MessageFactory()
    tokens = Rotating(rsps)
    zalo = FakeZalo(rsps, answer=lambda body, token: error(-124, "Access token invalid"))
    deliver(message.idempotency_key)
    account.refresh_from_db()
    assert account.needs_reconnect
    assert account.fresh_token_refusals == refusals.FRESH_TOKEN_REFUSALS
    # The stored token and the refreshed ones, each refused on first use.
    assert len(zalo.bodies) == refusals.FRESH_TOKEN_REFUSALS
    assert len(tokens.issued) == refusals.FRESH_TOKEN_REFUSALS - 1
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED and message.error_category == "reschedule"
    assert message.attempts == 1
    # Later sends wait unclaimed, with no more refreshes.
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert postpone_all([message.idempotency_key])
    assert len(tokens.issued) == refusals.FRESH_TOKEN_REFUSALS - 1


def test_one_token_taken_between_refusals_starts_the_count_again(account, rsps):
    messages = MessageFactory.create_batch(2)
    account.fresh_token_refusals = refusals.FRESH_TOKEN_REFUSALS - 1
    account.save(update_fields=["fresh_token_refusals"])
    Rotating(rsps)
    FakeZalo(rsps, answer=lambda body, token: ok(body["tracking_id"]))
    send_messages(keys_of(messages))
    account.refresh_from_db()
    assert account.fresh_token_refusals == 0 and account.token_state == "accepted"


def refused_fresh_tokens(account: ZaloAccount, *, refused_at: dt.datetime) -> None:
    ZaloAccount.objects.filter(pk=account.pk).update(
        needs_reconnect=True,
        reconnect_reason="Zalo refuses even freshly refreshed access tokens",
        needs_reconnect_since=refused_at,
        fresh_token_refusals=refusals.FRESH_TOKEN_REFUSALS,
        token_state="refused",
        access_token_expires_at=refused_at,
    )


def test_a_later_refresh_that_zalo_takes_resumes_sending_by_itself(account, rsps, time_machine):
    """Marked for refused fresh tokens: the next try refreshes once more and asks Zalo's
    quota with the new token; taken, the OA is connected again and the waiting messages
    go at once, without an admin."""
    time_machine.move_to(timezone.now(), tick=False)
    refused_fresh_tokens(account, refused_at=timezone.now())
    message = MessageFactory()
    Rotating(rsps)
    rsps.add(
        responses.GET,
        f"{API}/message/quota",
        json={
            "error": 0,
            "message": "Success",
            "data": {"dailyQuota": "500", "remainingQuota": "480"},
        },
    )
    FakeZalo(rsps, answer=lambda body, token: ok(body["tracking_id"]))
    deliver(message.idempotency_key)  # waits: just refused, too early to try again
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED and message.attempts == 0
    assert ZaloAccount.objects.get().needs_reconnect

    time_machine.shift(refusals.RECOVERY_INTERVAL + dt.timedelta(seconds=1))
    assert refresh_token()  # the schedule's run: refreshed, and Zalo took the new token
    account.refresh_from_db()
    assert not account.needs_reconnect and account.fresh_token_refusals == 0
    message.refresh_from_db()
    assert message.next_attempt_at <= timezone.now()  # woken, not left for five minutes
    deliver(message.idempotency_key)
    assert Message.objects.get(pk=message.pk).status == Message.Status.SENT


def test_a_send_task_tries_the_recovery_itself(account, rsps, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    refused_fresh_tokens(account, refused_at=timezone.now() - refusals.RECOVERY_INTERVAL * 2)
    message = MessageFactory()
    Rotating(rsps)
    rsps.add(
        responses.GET,
        f"{API}/message/quota",
        json={
            "error": 0,
            "message": "Success",
            "data": {"dailyQuota": "500", "remainingQuota": "480"},
        },
    )
    FakeZalo(rsps, answer=lambda body, token: ok(body["tracking_id"]))
    send_messages([message.idempotency_key])
    assert Message.objects.get(pk=message.pk).status == Message.Status.SENT


def test_a_new_token_refused_by_the_recovery_keeps_the_wait(account, rsps, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    refused_fresh_tokens(account, refused_at=timezone.now() - refusals.RECOVERY_INTERVAL * 2)
    tokens = Rotating(rsps)
    rsps.add(responses.GET, f"{API}/message/quota", json=error(-124, "Access token invalid"))
    assert not refresh_token()
    account.refresh_from_db()
    assert account.needs_reconnect and tokens.issued == ["fresh-1"]
    assert account.access_token == "fresh-1" and account.access_token_expires_at <= timezone.now()
    assert not refresh_token()  # just tried: not again within the interval
    assert tokens.issued == ["fresh-1"]


def test_a_refused_refresh_token_is_never_retried_by_the_recovery(account, rsps, time_machine):
    """Needs reconnect because Zalo refused the refresh token itself: only an admin helps."""
    time_machine.move_to(timezone.now(), tick=False)
    ZaloAccount.objects.filter(pk=account.pk).update(
        needs_reconnect=True,
        reconnect_reason="-14014 invalid refresh token",
        access_token_expires_at=timezone.now() - dt.timedelta(hours=1),
    )
    tokens = Rotating(rsps)
    assert not refresh_token()
    assert tokens.issued == []


def test_a_recovery_whose_quota_check_times_out_tries_again_a_minute_later(
    account, rsps, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    refused_fresh_tokens(account, refused_at=timezone.now() - refusals.RECOVERY_INTERVAL * 2)
    tokens = Rotating(rsps)
    rsps.add(responses.GET, f"{API}/message/quota", body=requests.ConnectionError("reset"))
    assert not refresh_token()  # the new token's fate is unknown: the wait goes on
    assert tokens.issued == ["fresh-1"]
    assert not refresh_token()  # tried moments ago
    time_machine.shift(refusals.RECOVERY_INTERVAL + dt.timedelta(seconds=1))
    rsps.replace(
        responses.GET,
        f"{API}/message/quota",
        json={"error": 0, "message": "Success", "data": {"dailyQuota": "500"}},
    )
    # A minute later, not when the new token would have expired (a day later).
    assert refresh_token()
    account.refresh_from_db()
    assert not account.needs_reconnect


def test_a_recovery_answered_with_another_error_code_means_zalo_took_the_token(
    account, rsps, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    refused_fresh_tokens(account, refused_at=timezone.now() - refusals.RECOVERY_INTERVAL * 2)
    Rotating(rsps)
    rsps.add(responses.GET, f"{API}/message/quota", json=error(-32, "Exceeded the rate limit"))
    assert refresh_token()  # Zalo read the token to answer with anything but a refusal
    account.refresh_from_db()
    assert not account.needs_reconnect and account.fresh_token_refusals == 0


def test_a_recovery_whose_refresh_times_out_waits_a_minute_too(account, rsps, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    refused_fresh_tokens(account, refused_at=timezone.now() - refusals.RECOVERY_INTERVAL * 2)
    rsps.add(responses.POST, f"{OAUTH}/v4/oa/access_token", body=requests.ConnectionError("reset"))
    assert not refresh_token()
    calls = len(rsps.calls)
    assert not refresh_token()  # tried moments ago: no second refresh
    assert len(rsps.calls) == calls
