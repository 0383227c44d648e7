from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
import responses
from django_q.brokers import get_broker
from django_q.conf import Conf

from tests.factories import ZaloAccountFactory
from tests.services import service_url
from tests.session_setup import (  # noqa: F401  (pytest's hooks, by their names)
    pytest_configure,
    pytest_report_header,
    pytest_unconfigure,
)
from zns_notify.broker import OutboxORM

ROOT = Path(__file__).resolve().parent.parent
API = "http://zalo.test"
OAUTH = "http://oauth.zalo.test"


class ZaloApiMock:
    """Small vocabulary over `responses` for Zalo's envelopes (anymail's mock API, as a fixture)."""

    def __init__(self, rsps: responses.RequestsMock):
        self.rsps = rsps

    def send_ok(self, msg_id: str = "a4d0243feee163bd3af2", remaining: int = 499):
        self.rsps.add(
            responses.POST,
            f"{API}/message/template",
            json={
                "error": 0,
                "message": "Success",
                "data": {
                    "msg_id": msg_id,
                    "sent_time": "1626926349402",
                    "sending_mode": "1",
                    "quota": {"dailyQuota": "500", "remainingQuota": str(remaining)},
                },
            },
        )

    def send_error(self, code: int, message: str = "error"):
        self.rsps.add(
            responses.POST,
            f"{API}/message/template",
            json={"error": code, "message": message, "data": None},
        )

    def refresh_ok(self, access: str = "new-access", refresh: str = "new-refresh"):
        self.rsps.add(
            responses.POST,
            f"{OAUTH}/v4/oa/access_token",
            json={"access_token": access, "refresh_token": refresh, "expires_in": "90000"},
        )

    def calls_to(self, path: str) -> list:
        return [c for c in self.rsps.calls if re.search(re.escape(path) + r"(\?|$)", c.request.url)]

    def last_json(self, path: str = "/message/template") -> dict:
        return json.loads(self.calls_to(path)[-1].request.body)


@pytest.fixture
def zalo_api():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield ZaloApiMock(rsps)


@pytest.fixture
def account(db):
    return ZaloAccountFactory()


@pytest.fixture
def outbox_broker(monkeypatch):
    """zns_notify.broker.OutboxORM as the cluster's broker, polling without an idle wait."""
    monkeypatch.setattr(Conf, "BROKER_CLASS", "zns_notify.broker.OutboxORM")
    monkeypatch.setattr(Conf, "POLL", 0.01)
    return OutboxORM(list_key=Conf.CLUSTER_NAME)


@pytest.fixture
def redis_broker(monkeypatch):
    """zns_notify.broker.Redis on ZNS_TEST_REDIS_URL, with a queue of its own."""
    monkeypatch.setattr(Conf, "REDIS", service_url("ZNS_TEST_REDIS_URL"))
    monkeypatch.setattr(Conf, "BROKER_CLASS", "zns_notify.broker.Redis")
    cluster = f"zns-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(Conf, "CLUSTER_NAME", cluster)
    broker = get_broker(list_key=cluster)
    yield broker
    broker.delete_queue()


@pytest.fixture(autouse=True)
def _language_does_not_leak():
    """A request with Accept-Language: vi leaves Vietnamese active in the thread (Django's
    LocaleMiddleware does not undo it); the next test starts in LANGUAGE_CODE again."""
    yield
    from django.utils import translation

    translation.deactivate()
