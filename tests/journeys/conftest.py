"""A sandbox on loopback playing Zalo's ZNS Journey, a connected OA with its templates
synced, and messages bound to a journey (templates 100003 and 100004 are declared for the
logistics token types by the sandbox's default ``journey_templates``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.factories import MessageFactory
from zns_notify.account.tokens import store_token_pair
from zns_notify.bindings.template_sync import sync_templates
from zns_notify.models import Journey, Message, Template
from zns_notify.sandbox import SandboxServer
from zns_notify.sandbox.catalogue import demo_templates

PHONE = "84912345678"
OTHER_PHONE = "84933334444"
SHIPPED, DELIVERED, NOT_DECLARED = "100003", "100004", "100001"
SEVEN_DAYS = "token_logistics_7"


class Zalo:
    """The sandbox and its inspection and knob endpoints, for readable tests."""

    def __init__(self, server: SandboxServer):
        self.server = server
        self.url = server.url
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only

    def knob(self, path: str, **body: Any) -> None:
        self.http.post(f"{self.url}/_sandbox/{path}", json=body, timeout=5).raise_for_status()

    def journeys(self) -> dict[str, Any]:
        return self.http.get(f"{self.url}/_sandbox/journeys", timeout=5).json()

    def get_token_requests(self) -> int:
        return self.journeys()["get_token_requests"]

    def token_history(self) -> dict[str, Any]:
        return self.http.get(f"{self.url}/_sandbox/tokens", timeout=5).json()

    def expire(self, journey_id: str) -> None:
        url = f"{self.url}/_sandbox/journeys/{journey_id}/expire"
        self.http.post(url, timeout=5).raise_for_status()

    def issue(self, phone: str, token_type: str = SEVEN_DAYS) -> dict[str, str]:
        """A token the sandbox issues outside zns_notify (for another phone, say)."""
        access = self.server.mint_tokens()["access_token"]
        answer = self.http.post(
            f"{self.url}/journey/get-token",
            json={"phone": phone, "token_type": token_type},
            headers={"access_token": access},
            timeout=5,
        ).json()
        assert answer["error"] == 0, answer
        return answer["data"]

    def sends(self) -> list[dict[str, Any]]:
        """Every accepted send, oldest first, with the journey it went under."""
        rows = self.http.get(f"{self.url}/_sandbox/messages", timeout=5).json()["messages"]
        return sorted(rows, key=lambda row: int(row["sent_time"]))


def start_sandbox(settings, **kwargs: Any) -> SandboxServer:
    zns = settings.ZNS_NOTIFY
    kwargs.setdefault("receipt_ratio", 0.0)
    server = SandboxServer(
        app_id=zns["APP_ID"],
        app_secret=zns["APP_SECRET"],
        oa_secret_key=zns["OA_SECRET_KEY"],
        seed=7,
        **kwargs,
    ).start()
    settings.ZNS_NOTIFY = {**zns, "API_BASE_URL": server.url, "OAUTH_BASE_URL": server.url}
    pair = server.mint_tokens()
    store_token_pair(
        access_token=pair["access_token"],
        refresh_token=pair["refresh_token"],
        expires_in=int(pair["expires_in"]),
    )
    sync_templates()
    return server


def running_sandbox(settings, **kwargs: Any) -> Iterator[Zalo]:
    """A started sandbox as :class:`Zalo` while the fixture that yields from it lives."""
    server = start_sandbox(settings, **kwargs)
    zalo = Zalo(server)
    yield zalo
    zalo.http.close()
    server.stop()


@pytest.fixture
def zalo(settings, transactional_db):
    yield from running_sandbox(settings)


@pytest.fixture
def hooked_zalo(settings, live_server):
    """The sandbox posting its webhooks (the journey events among them) to a live server."""
    webhook_url = f"{live_server.url}/zns/webhook/"
    yield from running_sandbox(settings, webhook_url=webhook_url, receipt_delay=0.05)


def journey_message(
    template_id: str = SHIPPED,
    *,
    order_pk: str = "1",
    phone: str = PHONE,
    journey_type: str = SEVEN_DAYS,
    **fields: Any,
) -> Message:
    """A queued message of order ``order_pk`` bound to a journey of ``journey_type``."""
    return MessageFactory(
        template=Template.objects.get(template_id=template_id),
        params=demo_templates()[template_id].sample_data(),
        order_pk=order_pk,
        order_ref=f"DH{int(order_pk):06d}",
        phone=phone,
        journey_type=journey_type,
        **fields,
    )


def live_journey(**filters: Any) -> Journey:
    return Journey.objects.get(state__in=Journey.LIVE_STATES, **filters)
