"""The token lifecycle without a sandbox: single-flight refresh, needs-reconnect, waiting
sends, the proactive schedule, the admin banner, and no token in any log or page."""

from __future__ import annotations

import datetime as dt

import pytest
import responses
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import OAUTH
from tests.factories import MessageFactory, ZaloAccountFactory
from zns_notify.account import tokens
from zns_notify.exceptions import ZnsReconnectRequired
from zns_notify.models import Message, MessageEvent, ZaloAccount
from zns_notify.sending.claim import RECONNECT_WAIT
from zns_notify.sending.send import deliver
from zns_notify.tasks import refresh_token as refresh_task
from zns_notify.zalo.client import ZaloAPIError, ZaloGrantRejected

pytestmark = pytest.mark.django_db(transaction=True)

SECRETS = ("access-secret-0123456789", "refresh-secret-0123456789")
NEW = ("new-access-0123456789abc", "new-refresh-0123456789abc")


def expired(**kwargs) -> ZaloAccount:
    return ZaloAccountFactory(
        access_token=SECRETS[0],
        refresh_token=SECRETS[1],
        access_token_expires_at=timezone.now() - dt.timedelta(minutes=1),
        **kwargs,
    )


def refuse_refresh(zalo_api, code=-14014, description="Refresh token has already been used"):
    zalo_api.rsps.add(
        responses.POST,
        f"{OAUTH}/v4/oa/access_token",
        json={
            "error": code,
            "error_name": "invalid_refresh_token",
            "error_description": description,
        },
    )


def test_refresh_rotates_and_releases_the_lease(zalo_api, caplog):
    caplog.set_level("DEBUG")
    account = expired()
    zalo_api.refresh_ok(*NEW)
    assert tokens.refresh_access_token(stale_token=SECRETS[0]) == NEW[0]
    account.refresh_from_db()
    assert (account.access_token, account.refresh_token) == NEW
    assert account.refresh_owner == "" and account.refresh_started_at is None
    assert account.access_token_expires_at > timezone.now() + dt.timedelta(hours=24)
    for secret in (*SECRETS, *NEW):
        assert secret not in caplog.text


def test_a_stale_token_that_was_already_replaced_costs_no_call(zalo_api):
    ZaloAccountFactory(access_token="already-new")
    assert tokens.refresh_access_token(stale_token="old-one") == "already-new"
    assert zalo_api.calls_to("/v4/oa/access_token") == []


def test_a_waiter_picks_up_the_token_another_process_commits(zalo_api, monkeypatch):
    account = expired(refresh_owner="other-process", refresh_started_at=timezone.now())
    naps = []

    def other_process_commits(seconds):
        naps.append(seconds)
        ZaloAccount.objects.filter(pk=account.pk).update(
            access_token=NEW[0], refresh_token=NEW[1], refresh_owner="", refresh_started_at=None
        )

    monkeypatch.setattr(tokens.time, "sleep", other_process_commits)
    assert tokens.get_access_token() == NEW[0]
    assert len(naps) == 1
    assert zalo_api.calls_to("/v4/oa/access_token") == []  # exactly one refresh: the other's


def test_a_crashed_refreshers_lease_expires_and_is_taken_over(zalo_api):
    long_ago = timezone.now() - tokens.refresh_lease() - dt.timedelta(seconds=1)
    expired(refresh_owner="dead-process", refresh_started_at=long_ago)
    zalo_api.refresh_ok(*NEW)
    assert tokens.get_access_token() == NEW[0]
    assert len(zalo_api.calls_to("/v4/oa/access_token")) == 1


def test_waiting_for_a_live_lease_is_bounded(zalo_api, monkeypatch):
    expired(refresh_owner="slow-process", refresh_started_at=timezone.now())
    clock = iter(range(0, 10_000, 30))
    monkeypatch.setattr(tokens.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(tokens.time, "sleep", lambda s: None)
    with pytest.raises(ZaloAPIError, match="Another process is refreshing") as err:
        tokens.get_access_token()
    assert err.value.action == "retry"


def test_a_transient_failure_releases_the_lease_and_keeps_the_pair(zalo_api):
    account = expired()
    zalo_api.rsps.add(responses.POST, f"{OAUTH}/v4/oa/access_token", status=502)
    with pytest.raises(ZaloAPIError):
        tokens.get_access_token()
    account.refresh_from_db()
    assert account.refresh_owner == "" and not account.needs_reconnect
    assert account.refresh_token == SECRETS[1]


def test_a_refused_refresh_token_marks_the_account(zalo_api, caplog):
    account = expired()
    refuse_refresh(zalo_api)
    with pytest.raises(ZaloGrantRejected):
        tokens.get_access_token()
    account.refresh_from_db()
    assert account.needs_reconnect and account.needs_reconnect_since is not None
    assert "-14014" in account.reconnect_reason and "already been used" in account.reconnect_reason
    assert account.refresh_owner == ""
    # no second call while it needs reconnecting: the refresh token is known dead
    with pytest.raises(ZnsReconnectRequired, match="connect the OA again"):
        tokens.get_access_token()
    assert len(zalo_api.calls_to("/v4/oa/access_token")) == 1
    for secret in SECRETS:
        assert secret not in caplog.text and secret not in account.reconnect_reason


def test_an_app_configuration_error_is_not_a_reconnect(zalo_api):
    account = expired()
    refuse_refresh(zalo_api, code=-14004, description="Header secret_key does not match")
    with pytest.raises(ZaloAPIError, match="APP_SECRET"):
        tokens.get_access_token()
    account.refresh_from_db()
    assert not account.needs_reconnect


def test_a_refusal_after_another_process_committed_is_not_a_reconnect(zalo_api, monkeypatch):
    account = expired()
    real = tokens.ZaloClient.refresh_token

    def refused_because_the_other_won(self, refresh_token):
        ZaloAccount.objects.filter(pk=account.pk).update(access_token=NEW[0], refresh_token=NEW[1])
        return real(self, refresh_token)

    monkeypatch.setattr(tokens.ZaloClient, "refresh_token", refused_because_the_other_won)
    refuse_refresh(zalo_api)
    assert tokens.get_access_token() == NEW[0]
    account.refresh_from_db()
    assert not account.needs_reconnect and account.refresh_token == NEW[1]


def test_sends_wait_without_an_attempt_while_the_oa_needs_reconnecting(zalo_api):
    expired(needs_reconnect=True, reconnect_reason="Zalo refused (-14014)")
    message = MessageFactory()
    before = timezone.now()
    assert deliver(message.idempotency_key) is None
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED and message.attempts == 0
    assert message.next_attempt_at >= before + RECONNECT_WAIT - dt.timedelta(seconds=1)
    assert "connect the OA again" in message.error_message and "-14014" in message.error_message
    assert not MessageEvent.objects.filter(message=message).exists()
    assert len(zalo_api.rsps.calls) == 0  # neither a send nor a refresh
    assert deliver(message.idempotency_key) is None  # not due again yet


def test_the_reactive_refresh_refused_marks_the_account_and_the_message_waits(account, zalo_api):
    message = MessageFactory()
    zalo_api.send_error(-124, "Access token invalid")
    refuse_refresh(zalo_api)
    deliver(message.idempotency_key)
    message.refresh_from_db()
    account.refresh_from_db()
    assert account.needs_reconnect
    assert message.status == Message.Status.QUEUED and "reconnect the OA" in message.error_message


def test_a_still_valid_access_token_is_used_while_reconnect_is_pending(zalo_api):
    ZaloAccountFactory(needs_reconnect=True, reconnect_reason="refresh token expired")
    message = MessageFactory()
    zalo_api.send_ok()
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_zns_tokens_set_reconnects_and_never_echoes_tokens(capsys, caplog):
    caplog.set_level("DEBUG")
    expired(needs_reconnect=True, reconnect_reason="x", needs_reconnect_since=timezone.now())
    call_command("zns_tokens", "set", "--access-token", NEW[0], "--refresh-token", NEW[1])
    account = ZaloAccount.objects.get()
    assert not account.needs_reconnect and account.reconnect_reason == ""
    assert account.needs_reconnect_since is None
    out = capsys.readouterr()
    for secret in NEW:
        assert secret not in out.out and secret not in out.err and secret not in caplog.text


def test_zns_tokens_refresh_never_echoes_tokens(zalo_api, capsys, caplog):
    caplog.set_level("DEBUG")
    expired()
    zalo_api.refresh_ok(*NEW)
    call_command("zns_tokens", "refresh")
    out = capsys.readouterr()
    assert "refreshed" in out.out
    for secret in (*SECRETS, *NEW):
        assert secret not in out.out + out.err + caplog.text


def test_zns_tokens_refresh_refused_is_a_clear_error_without_tokens(zalo_api):
    from django.core.management import CommandError

    expired()
    refuse_refresh(zalo_api)
    with pytest.raises(CommandError) as err:
        call_command("zns_tokens", "refresh")
    assert "-14014" in str(err.value)
    assert all(secret not in str(err.value) for secret in SECRETS)


def test_proactive_refresh_only_near_expiry(zalo_api):
    account = ZaloAccountFactory(access_token_expires_at=timezone.now() + dt.timedelta(hours=6))
    assert refresh_task() is False
    ZaloAccount.objects.filter(pk=account.pk).update(
        access_token_expires_at=timezone.now() + dt.timedelta(hours=4)
    )
    zalo_api.refresh_ok(*NEW)
    assert refresh_task() is True
    assert ZaloAccount.objects.get().access_token == NEW[0]


def test_proactive_refresh_never_raises(zalo_api):
    expired()
    refuse_refresh(zalo_api)
    assert refresh_task() is False
    assert ZaloAccount.objects.get().needs_reconnect
    assert refresh_task() is False  # needs reconnect: no further call
    assert len(zalo_api.calls_to("/v4/oa/access_token")) == 1


def test_the_refresh_schedule_exists_after_migrate():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="zns_notify.refresh_token")
    assert schedule.func == "zns_notify.tasks.refresh_token" and schedule.repeats == -1


def test_banner_on_every_admin_page_for_staff_while_reconnect_is_needed(client, admin_client):
    ZaloAccountFactory(
        access_token=SECRETS[0],
        refresh_token=SECRETS[1],
        needs_reconnect=True,
        reconnect_reason="Zalo refused the token request (-14014)",
    )
    for url in (
        "/admin/",
        "/admin/auth/user/",
        "/admin/zns_notify/message/",
        "/admin/zns_notify/zaloaccount/",
    ):
        html = admin_client.get(url).content.decode()
        assert "connect the OA again" in html and "-14014" in html, url
        assert html.count("connect the OA again") == 1, url
        assert 'href="/admin/zns_notify/zaloaccount/"' in html
        assert SECRETS[0] not in html and SECRETS[1] not in html
    viewer = User.objects.create_user("not-staff", password="pw")
    client.force_login(viewer)
    assert "connect the OA again" not in client.get("/admin/login/").content.decode()


def test_no_banner_when_connected(admin_client, account):
    assert "connect the OA again" not in admin_client.get("/admin/").content.decode()


def test_banner_is_translated(admin_client):
    ZaloAccountFactory(needs_reconnect=True, reconnect_reason="-14014")
    html = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Kết nối lại Zalo OA" in html


def test_the_lease_outlasts_a_slow_token_request(settings):
    assert tokens.refresh_lease() == tokens.REFRESH_LEASE
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "REQUEST_TIMEOUT": (10, 120)}
    assert tokens.refresh_lease() == dt.timedelta(seconds=140)


def test_zns_tokens_show_tells_that_the_oa_needs_reconnecting(capsys):
    expired(
        needs_reconnect=True,
        reconnect_reason="Zalo refused the token request (-14014)",
        needs_reconnect_since=timezone.now(),
    )
    call_command("zns_tokens", "show")
    out = capsys.readouterr().out
    assert "state=needs-reconnect since" in out and "-14014" in out
    assert SECRETS[0] not in out and SECRETS[1] not in out


def test_a_rejected_token_that_cannot_be_refreshed_stops_further_sends(zalo_api):
    ZaloAccountFactory(needs_reconnect=True, reconnect_reason="-14014")  # token not expired yet
    first, second = MessageFactory(), MessageFactory()
    zalo_api.send_error(-124, "Access token invalid")  # ... but Zalo no longer takes it
    deliver(first.idempotency_key)
    first.refresh_from_db()
    assert first.status == Message.Status.QUEUED
    assert ZaloAccount.objects.get().access_token_expires_at <= timezone.now()
    assert deliver(second.idempotency_key) is None
    second.refresh_from_db()
    assert second.attempts == 0 and "connect the OA again" in second.error_message
    assert len(zalo_api.rsps.calls) == 1  # the one send; no refresh, no second send


def test_a_refresh_refused_with_only_an_error_name_marks_the_account(zalo_api):
    """HTTP 200 with only ``error_name`` (no numeric ``error``): Zalo refused the refresh
    token. The OA needs a reconnect; no refresh is tried again (issue 15 §2)."""
    expired()
    zalo_api.rsps.add(
        responses.POST,
        f"{OAUTH}/v4/oa/access_token",
        json={"error_name": "Invalid refresh token", "error_reason": "expired"},
    )
    with pytest.raises(ZaloGrantRejected):
        tokens.refresh_access_token()
    account = ZaloAccount.objects.get()
    assert account.needs_reconnect and "Invalid refresh token" in account.reconnect_reason
    assert tokens.must_wait(account)
    with pytest.raises(ZnsReconnectRequired):
        tokens.get_access_token()
    assert len(zalo_api.calls_to("/v4/oa/access_token")) == 1
