"""The Zalo account admin never lets a page answer questions about the OA's tokens: the
fields are not shown, and they cannot be filtered on from the URL either."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from tests.factories import ZaloAccountFactory

pytestmark = pytest.mark.django_db

LIST = reverse("admin:zns_notify_zaloaccount_changelist")


@pytest.mark.parametrize(
    "lookup",
    [
        "access_token__startswith",
        "refresh_token__startswith",
        "access_token",
        "access_token__regex",
        "refresh_token__gt",
    ],
)
@pytest.mark.parametrize("superuser", [False, True])
def test_tokens_cannot_be_guessed_through_a_url_filter(client, lookup, superuser):
    # ?access_token__startswith=a, then ab, abc…: whether the account is listed would spell
    # out the token one character at a time, to anyone who may view the account.
    ZaloAccountFactory(access_token="secret-access", refresh_token="secret-refresh")
    if superuser:
        user = User.objects.create_superuser("root", password="pw")
    else:
        user = User.objects.create_user("viewer", password="pw", is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename="view_zaloaccount"))
    client.force_login(user)
    assert client.get(LIST, {lookup: "secret"}).status_code == 400, lookup
    # Other filters still work.
    assert client.get(LIST, {"is_active__exact": "1"}).status_code == 200
