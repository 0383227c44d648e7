"""How the waits of the worker combine: no account, needs-reconnect, holds, quota, the relay."""

from __future__ import annotations

import datetime as dt

import pytest
import responses
from django.utils import timezone
from django_q.conf import Conf

from tests.conftest import OAUTH
from tests.factories import MessageFactory, ZaloAccountFactory
from zns_notify.account import tokens
from zns_notify.account.tokens import FRESH_TOKEN_REFUSALS
from zns_notify.events.relay import claim_due_keys
from zns_notify.models import Message, SendingHold, ZaloAccount
from zns_notify.sending.send import deliver

pytestmark = pytest.mark.django_db(transaction=True)


def test_waiting_for_a_connection_must_not_use_up_the_retries(zalo_api, settings):
    """While no account is connected messages wait unclaimed: no attempt is spent, so a
    transient error after the connect is retried as usual."""
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "MAX_ATTEMPTS": 3}
    message = MessageFactory()
    for _ in range(3):
        deliver(message.idempotency_key)
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    ZaloAccountFactory()  # the admin connects the OA
    zalo_api.send_error(-100, "Unknown error")  # one transient hiccup
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED, (message.status, message.attempts)
    assert message.attempts == 1 and message.error_code == -100


def test_refused_proactive_refresh_must_not_leave_an_account_hold_after_reconnect(zalo_api):
    """Token expired, and Zalo refuses the refresh (-14014): the message waits for a
    reconnect, with no account-wide hold that would outlive the reconnect."""
    ZaloAccountFactory(access_token_expires_at=timezone.now() - dt.timedelta(minutes=1))
    first = MessageFactory()
    zalo_api.rsps.add(
        responses.POST,
        f"{OAUTH}/v4/oa/access_token",
        json={"error": -14014, "error_description": "invalid refresh token"},
    )
    deliver(first.idempotency_key)
    assert ZaloAccount.objects.get().needs_reconnect
    tokens.store_token_pair(access_token="reconnected-access", refresh_token="reconnected-r")
    second = MessageFactory()
    zalo_api.send_ok()
    deliver(second.idempotency_key)
    second.refresh_from_db()
    assert list(SendingHold.objects.values_list("error_code", flat=True)) == []
    assert second.status == Message.Status.SENT, second.error_message


def test_a_postponed_message_is_relayed_when_due(monkeypatch, zalo_api):
    """A message postponed for a reconnect loses its relay lease, so it is relayed as soon
    as it is due again, whatever Q_CLUSTER["retry"] is."""
    monkeypatch.setattr(Conf, "BROKER_CLASS", "zns_notify.broker.OutboxORM")
    monkeypatch.setattr(Conf, "RETRY", 3600)
    ZaloAccountFactory(
        needs_reconnect=True, access_token_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    message = MessageFactory()
    assert claim_due_keys() == [message.idempotency_key]
    deliver(message.idempotency_key)  # postponed by 5 minutes
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )  # ... and now it is due
    assert claim_due_keys() == [message.idempotency_key]


def test_new_tokens_refused_in_a_row_ask_for_a_reconnect_instead_of_refreshing_forever(
    account, zalo_api
):
    """-124, refresh, -124, ... each new token refused on first use: the OA's grant is
    broken. After FRESH_TOKEN_REFUSALS of them (issue 15 §2: no longer after the first) the
    account shows "needs reconnect" and later sends wait unclaimed, without burning more
    refresh tokens."""
    message = MessageFactory()
    for n in range(FRESH_TOKEN_REFUSALS - 1):
        zalo_api.send_error(-124, "Access token invalid")
        zalo_api.refresh_ok(access=f"fresh-{n}", refresh=f"fresh-r-{n}")
    zalo_api.send_error(-124, "Access token invalid")
    deliver(message.idempotency_key)
    assert ZaloAccount.objects.get().needs_reconnect
    for _ in range(3):
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        deliver(message.idempotency_key)
    message.refresh_from_db()
    assert len(zalo_api.calls_to("/v4/oa/access_token")) == FRESH_TOKEN_REFUSALS - 1
    assert message.status == Message.Status.QUEUED and message.attempts == 1
    assert message.error_category == "reschedule"


def test_a_busy_database_at_the_cas_commit_loses_the_rotated_pair(zalo_api, monkeypatch):
    """A busy database ("database is locked") when storing the pair Zalo just rotated: the
    store is retried, so the new pair is kept and the send goes out with it."""
    from django.db import OperationalError
    from django.db.models.query import QuerySet

    ZaloAccountFactory(
        access_token="old-a",
        refresh_token="old-r",
        access_token_expires_at=timezone.now() - dt.timedelta(minutes=1),
    )
    message = MessageFactory()
    zalo_api.refresh_ok(access="new-a", refresh="new-r")
    zalo_api.send_ok()
    real_update = QuerySet.update
    failures = iter([True])

    def busy_once(self, **kwargs):
        if "refresh_token" in kwargs and next(failures, False):
            raise OperationalError("database is locked")
        return real_update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", busy_once)
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert ZaloAccount.objects.get().refresh_token == "new-r"
    assert message.status == Message.Status.SENT
