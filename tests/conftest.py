from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest
import responses

from tests.factories import ZaloAccountFactory

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


#: ZNS_TEST_CLOCK=<ISO 8601 instant with its offset>: the whole run starts at that instant.
SHIFTED_CLOCK = "ZNS_TEST_CLOCK"
_shifted_clock = []


def pytest_configure(config):
    _compile_catalogues()
    _shift_the_clock()


def pytest_unconfigure(config):
    while _shifted_clock:
        _shifted_clock.pop().stop()


def pytest_report_header(config):
    if _shifted_clock:
        return f"clock moved by {SHIFTED_CLOCK} to {os.environ[SHIFTED_CLOCK]} (time-machine)"


def _shift_the_clock():
    """Python's clock in this process starts at ZNS_TEST_CLOCK and ticks (time-machine):
    how the tests that start servers run at another date, which faketime cannot do for them
    (docs/development.md, "Tests at another date and hour"). Subprocesses keep real time."""
    instant = os.environ.get(SHIFTED_CLOCK, "").strip()
    if not instant:
        return
    import time_machine

    try:
        moment = dt.datetime.fromisoformat(instant)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise pytest.UsageError(
            f"{SHIFTED_CLOCK}={instant!r}: give an ISO 8601 instant with its offset, "
            "e.g. 2027-12-31T19:30:00+00:00"
        )
    traveller = time_machine.travel(moment, tick=True)
    traveller.start()
    _shifted_clock.append(traveller)


def _compile_catalogues():
    """Compile stale .mo catalogues (make does it too), so `pytest` alone sees current
    translations after a .po edit."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in [
        *ROOT.glob("zns_notify/locale/*/LC_MESSAGES/django.po"),
        *ROOT.glob("demo_shop/*/locale/*/LC_MESSAGES/django.po"),
    ]:
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))


@pytest.fixture(autouse=True)
def _language_does_not_leak():
    """A request with Accept-Language: vi leaves Vietnamese active in the thread (Django's
    LocaleMiddleware does not undo it); the next test starts in LANGUAGE_CODE again."""
    yield
    from django.utils import translation

    translation.deactivate()
