"""The zns_sandbox management command (run in a thread; no database needed)."""

from __future__ import annotations

import io
import threading
import time

import pytest
import requests
from django.core.management import call_command

from zns_notify.management.commands.zns_sandbox import Command, credentials_from_settings
from zns_notify.sandbox import defaults


def test_credentials_come_from_settings_when_set():
    assert credentials_from_settings({"APP_ID": "1", "APP_SECRET": "s", "OA_SECRET_KEY": "k"}) == {
        "app_id": "1",
        "app_secret": "s",
        "oa_secret_key": "k",
    }


@pytest.mark.parametrize("zns_settings", [None, {}, {"APP_ID": "", "OA_SECRET_KEY": None}])
def test_credentials_fall_back_to_the_demo_defaults(zns_settings):
    assert credentials_from_settings(zns_settings) == {
        "app_id": defaults.DEMO_APP_ID,
        "app_secret": defaults.DEMO_APP_SECRET,
        "oa_secret_key": defaults.DEMO_OA_SECRET_KEY,
    }


def test_command_serves_until_stopped():
    command, out = Command(), io.StringIO()
    thread = threading.Thread(
        target=call_command,
        args=(command,),
        daemon=True,
        kwargs={
            "port": 0,
            "webhook_url": "none",
            "daily_quota": 7,
            "receipt_delay": 0.5,
            "stdout": out,
        },
    )
    thread.start()
    deadline = time.monotonic() + 5
    while "listening on" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    server = command.server
    assert server is not None and f"listening on {server.url}" in out.getvalue()
    assert server.state.config.webhook_url is None
    assert server.state.config.receipt_delay == 0.5

    pair = requests.post(server.url + "/_sandbox/tokens/mint", timeout=5).json()
    quota = requests.get(
        server.url + "/message/quota", timeout=5, headers={"access_token": pair["access_token"]}
    ).json()
    assert quota["data"]["dailyQuota"] == "7"

    command.stop_event.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert "stopped" in out.getvalue()
    assert defaults.DEMO_APP_SECRET not in out.getvalue()


def test_command_reports_a_busy_port():
    with socket_bound() as port:
        with pytest.raises(Exception, match="Cannot start the sandbox"):
            call_command(Command(), port=port, stdout=io.StringIO())


def socket_bound():
    import contextlib
    import socket

    @contextlib.contextmanager
    def bound():
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        try:
            yield sock.getsockname()[1]
        finally:
            sock.close()

    return bound()
