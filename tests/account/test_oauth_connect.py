"""The admin's "Connect Zalo OA" flow (OAuth v4 + PKCE) against the sandbox over HTTP, and
every way the callback refuses."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tests.factories import ZaloAccountFactory
from zns_notify.account.oauth import SESSION_KEY, code_challenge, new_code_verifier
from zns_notify.models import ZaloAccount
from zns_notify.sandbox import SandboxServer
from zns_notify.sandbox.defaults import DEMO_OA_ID, DEMO_OA_NAME

pytestmark = pytest.mark.django_db

CONNECT = "admin:zns_notify_zaloaccount_connect"
CALLBACK = "/zns/oauth/callback/"
CHANGELIST = "/admin/zns_notify/zaloaccount/"


@pytest.fixture
def sandbox(settings):
    zns = settings.ZNS_NOTIFY
    server = SandboxServer(
        app_id=zns["APP_ID"],
        app_secret=zns["APP_SECRET"],
        oa_secret_key=zns["OA_SECRET_KEY"],
        seed=7,
    ).start()
    settings.ZNS_NOTIFY = {**zns, "API_BASE_URL": server.url, "OAUTH_BASE_URL": server.url}
    yield server
    server.stop()


@pytest.fixture
def operator(client):
    """Staff with the permission to connect the OA, and nothing else."""
    user = User.objects.create_user("oa-admin", password="pw", is_staff=True)
    for codename in ("view_zaloaccount", "connect_zaloaccount"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(user)
    return user


def start(client) -> str:
    response = client.post(reverse(CONNECT))
    assert response.status_code == 302
    return response["Location"]


def approve(permission_url: str) -> str:
    """What the OA admin's browser does at Zalo: the sandbox approves and redirects back."""
    with requests.Session() as http:
        http.trust_env = False
        answer = http.get(permission_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert back.path == CALLBACK
    return f"{back.path}?{back.query}"


def shown(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_verifier_and_challenge_follow_rfc_7636():
    verifier = new_code_verifier()
    assert len(verifier) == 43
    digest = hashlib.sha256(verifier.encode()).digest()
    assert code_challenge(verifier) == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert "=" not in code_challenge(verifier)


def test_connect_end_to_end_stores_the_pair_and_oa_id(client, operator, sandbox, caplog):
    caplog.set_level("DEBUG")
    ZaloAccountFactory(needs_reconnect=True, reconnect_reason="burned")
    url = start(client)
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{sandbox.url}/v4/oa/permission"
    assert query["app_id"] == "3141592653589793238"
    assert query["redirect_uri"] == "http://testserver/zns/oauth/callback/"
    flow = client.session[SESSION_KEY]
    assert query["state"] == flow["state"]
    assert query["code_challenge"] == code_challenge(flow["verifier"])
    assert flow["verifier"] not in url

    response = client.get(approve(url))

    assert response.status_code == 302 and response["Location"] == CHANGELIST
    account = ZaloAccount.objects.get()
    assert account.oa_id == DEMO_OA_ID
    assert not account.needs_reconnect and account.reconnect_reason == ""
    assert any("connected" in m for m in shown(response))
    history = requests.get(f"{sandbox.url}/_sandbox/tokens", timeout=5).json()
    assert history["counts"]["authorized"] == 1
    assert SESSION_KEY not in client.session  # single use
    page = client.get(CHANGELIST).content.decode()
    for secret in (account.access_token, account.refresh_token, flow["verifier"]):
        assert secret not in caplog.text and secret not in page and secret[:20] not in page


def test_the_same_callback_cannot_be_used_twice(client, operator, sandbox):
    back = approve(start(client))
    client.get(back)
    first = ZaloAccount.objects.get().access_token
    response = client.get(back)
    assert any("already used" in m for m in shown(response))
    assert ZaloAccount.objects.get().access_token == first


def test_wrong_verifier_is_refused_by_zalo(client, operator, sandbox):
    back = approve(start(client))
    session = client.session
    session[SESSION_KEY] = {**session[SESSION_KEY], "verifier": new_code_verifier()}
    session.save()
    response = client.get(back)
    messages = shown(response)
    assert any("Zalo refused to connect the OA" in m and "-14005" in m for m in messages)
    assert not ZaloAccount.objects.exists()


def test_missing_state_in_the_session(client, operator):
    response = client.get(CALLBACK, {"code": "c", "state": "s", "oa_id": "1"})
    assert response.status_code == 302
    assert any("not started here" in m for m in shown(response))
    assert not ZaloAccount.objects.exists()


def test_state_mismatch(client, operator, sandbox):
    back = approve(start(client))
    response = client.get(back.replace("state=", "state=x"))
    assert any("state mismatch" in m for m in shown(response))
    assert not ZaloAccount.objects.exists()
    # and the real state is spent too: a mismatch ends the attempt
    assert any("already used" in m for m in shown(client.get(back)))


@pytest.mark.parametrize("later,connected", [((9, 59), True), ((10, 1), False)])
def test_a_connect_request_expires_after_ten_minutes(
    client, operator, sandbox, monkeypatch, later, connected
):
    """Measured on Django's clock (timezone.now), the one clock tests and hosts set."""
    started = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: started)
    back = approve(start(client))
    minutes, seconds = later
    moment = started + dt.timedelta(minutes=minutes, seconds=seconds)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    response = client.get(back)
    assert any("expired" in m for m in shown(response)) is not connected
    assert ZaloAccount.objects.exists() is connected


def test_missing_code(client, operator, sandbox):
    url = start(client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    response = client.get(CALLBACK, {"state": state, "error": "access_denied"})
    assert any("no authorization code" in m and "access_denied" in m for m in shown(response))
    assert not ZaloAccount.objects.exists()


def test_callback_started_by_another_user(client, operator, sandbox):
    back = approve(start(client))
    other = User.objects.create_superuser("other", password="pw")
    session = client.session
    flow = session[SESSION_KEY]
    client.force_login(other)  # a new session: the flow is gone with the old one
    session = client.session
    session[SESSION_KEY] = flow
    session.save()
    response = client.get(back)
    assert any("another user" in m for m in shown(response))
    assert not ZaloAccount.objects.exists()


@pytest.mark.parametrize("who", ["anonymous", "customer", "staff-without-permission"])
def test_callback_refuses_who_may_not_connect(client, who):
    if who != "anonymous":
        user = User.objects.create_user(who, password="pw", is_staff=(who != "customer"))
        user.user_permissions.add(Permission.objects.get(codename="view_zaloaccount"))
        client.force_login(user)
    response = client.get(CALLBACK, {"code": "c", "state": "s", "oa_id": "1"})
    assert response.status_code == 403
    assert "Only staff allowed to connect the Zalo OA" in response.content.decode()
    assert not ZaloAccount.objects.exists()


def test_only_staff_with_the_change_permission_can_start(client):
    assert client.post(reverse(CONNECT)).status_code == 302  # anonymous: to the login page
    assert "/login/" in client.post(reverse(CONNECT))["Location"]
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_zaloaccount"))
    client.force_login(viewer)
    assert client.post(reverse(CONNECT)).status_code == 403
    assert "Connect Zalo OA" not in client.get(CHANGELIST).content.decode()
    assert SESSION_KEY not in client.session


def test_connect_is_post_only_and_offered_on_the_list(client, operator):
    assert client.get(reverse(CONNECT)).status_code == 405
    assert "Connect Zalo OA" in client.get(CHANGELIST).content.decode()


# -- which OA: Zalo says, not the URL -------------------------------------------------------


def with_oa_id(back: str, oa_id: str | None) -> str:
    parts = urlsplit(back)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.pop("oa_id")
    if oa_id is not None:
        query["oa_id"] = oa_id
    return f"{parts.path}?{urlencode(query)}"


def test_a_callback_naming_another_oa_is_refused_and_logged(client, operator, sandbox, caplog):
    back = with_oa_id(approve(start(client)), "1234567890123456789")
    response = client.get(back)
    messages = shown(response)
    assert any("1234567890123456789" in m and DEMO_OA_ID in m for m in messages), messages
    assert not ZaloAccount.objects.exists()
    assert "1234567890123456789" in caplog.text and DEMO_OA_ID in caplog.text


def test_the_oa_id_comes_from_zalo_even_when_the_url_has_none(client, operator, sandbox):
    response = client.get(with_oa_id(approve(start(client)), None))
    assert any("connected" in m for m in shown(response))
    account = ZaloAccount.objects.get()
    assert account.oa_id == DEMO_OA_ID and account.name == DEMO_OA_NAME


def test_no_oa_from_zalo_means_nothing_is_stored(client, operator, sandbox, monkeypatch):
    from zns_notify.zalo.client import ZaloAPIError, ZaloClient
    from zns_notify.zalo.errors import ErrorAction

    def refused(self, *, access_token):
        raise ZaloAPIError(
            "Zalo error -216: Access token is invalid", action=ErrorAction.REFRESH, sent=True
        )

    monkeypatch.setattr(ZaloClient, "oa_info", refused)
    response = client.get(approve(start(client)))
    assert any("which OA" in m for m in shown(response))
    assert not ZaloAccount.objects.exists()
