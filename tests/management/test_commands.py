"""Command-line paths that need no Zalo: every rejection path of zns_tokens / zns_send_test."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.journey_rows import billed_journey
from zns_notify.lib import clock
from zns_notify.models import ZaloAccount

pytestmark = pytest.mark.django_db


def test_tokens_set_and_show_never_print_tokens(capsys):
    call_command("zns_tokens", "set", "--access-token", "AT-secret", "--refresh-token", "RT-secret")
    out = capsys.readouterr().out
    assert "stored" in out and "state=connected" in out and "secret" not in out
    account = ZaloAccount.objects.get()
    assert (account.access_token, account.refresh_token) == ("AT-secret", "RT-secret")


def test_tokens_can_come_from_stdin():
    call_command(
        "zns_tokens",
        "set",
        "--access-token",
        "-",
        "--refresh-token",
        "-",
        stdin=io.StringIO("AT-in\nRT-in\n"),
    )
    account = ZaloAccount.objects.get()
    assert (account.access_token, account.refresh_token) == ("AT-in", "RT-in")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--access-token", " ", "--refresh-token", "R"], "Both an access token"),
        (["--access-token", "A", "--refresh-token", "R", "--expires-in", "0"], "positive"),
    ],
)
def test_tokens_set_rejects_bad_input(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("zns_tokens", "set", *args)
    assert not ZaloAccount.objects.exists()


def test_tokens_refresh_without_an_account_is_a_clear_error():
    with pytest.raises(CommandError, match="No Zalo account"):
        call_command("zns_tokens", "refresh")


@pytest.mark.parametrize(
    "data, phone, message",
    [
        ("not json", "0912345678", "not valid JSON"),
        ("[]", "0912345678", "non-empty JSON object"),
        ("{}", "0912345678", "non-empty JSON object"),
        ('{"a": "b"}', "12345", "not a valid number"),
        ('{"a": "b"}', "0912345678", "No Zalo account"),
    ],
)
def test_send_test_rejects_bad_input_before_calling_zalo(data, phone, message):
    with pytest.raises(CommandError, match=message):
        call_command("zns_send_test", "--template", "100001", "--phone", phone, "--data", data)


def test_sync_without_an_account_changes_nothing():
    with pytest.raises(CommandError, match="nothing changed"):
        call_command("zns_sync_templates")


@pytest.mark.django_db
def test_the_groups_let_operators_follow_a_messages_journey_and_managers_see_its_costs(client):
    call_command("zns_groups", verbosity=0)
    journey = billed_journey(clock.now())
    page = reverse("admin:zns_notify_journey_change", args=[journey.pk])
    for name, costs in (("ZNS operators", False), ("ZNS managers", True)):
        user = User.objects.create_user(name.split()[1], is_staff=True)
        user.groups.add(Group.objects.get(name=name))
        client.force_login(user)
        response = client.get(page)
        assert response.status_code == 200
        assert ("VND" in response.content.decode()) is costs
