"""Every Zalo error code of zns-api.md §3 and what zns_notify does about it.

The table below is copied from §3 on purpose (not derived from ``zalo/errors.py``), so a
code dropped or re-mapped there fails here. Each code is checked three ways: the mapping,
the real client over HTTP against the sandbox's forced-error knob, and the worker's
outcome for the message (over ``responses``).
"""

from __future__ import annotations

import pytest

from tests.factories import MessageFactory
from zns_notify.models import Message, SendingHold
from zns_notify.sandbox import SandboxServer
from zns_notify.sandbox.codes import message_for
from zns_notify.sending.send import deliver
from zns_notify.zalo.client import ZaloAPIError, ZaloClient
from zns_notify.zalo.errors import ERROR_CODES, ErrorAction, action_for

R, F, S, C, P, D = ("retry", "refresh", "reschedule", "config", "recipient", "payload")

#: zns-api.md §3, code -> action (where §3 gives two, the first; -115 "CONFIG, then RESCHEDULE"
#: is a hold, which does both).
SECTION_3 = {
    -100: R,
    -101: C,
    -102: C,
    -103: C,
    -104: C,
    -105: C,
    -106: D,
    -107: D,
    -108: P,
    -109: C,
    -110: P,
    -111: D,
    -112: D,
    -1121: D,
    -1122: D,
    -1123: D,
    -1124: D,
    -113: D,
    -1131: D,
    -114: P,
    -115: C,
    -116: D,
    -117: C,
    -118: P,
    -119: P,
    -120: C,
    -1201: C,
    -1202: C,
    -121: D,
    -122: D,
    -123: D,
    -124: F,
    -1241: C,
    -125: C,
    -126: S,
    -127: P,
    -128: C,
    -129: R,
    -130: D,
    -131: C,
    -132: D,
    -133: S,
    -134: P,
    -135: C,
    -1351: C,
    -136: C,
    -137: C,
    -138: C,
    -1381: C,
    -139: P,
    -140: P,
    -141: P,
    -142: C,
    -143: C,
    -144: S,
    -1441: S,
    -145: C,
    -146: C,
    -147: S,
    -1471: S,
    -1472: S,
    -148: D,
    -149: D,
    -1491: D,
    -150: D,
    -151: D,
    -152: D,
    -153: D,
    -158: D,
    -159: D,
    -160: S,
    -161: D,
    -162: D,
    -249: D,
    # OA-host codes §3 says a robust client treats the same way on the ZNS host.
    -216: F,
    -220: F,
    -32: R,
}
CODES = list(SECTION_3)


def test_errors_module_maps_exactly_the_documented_codes():
    assert set(ERROR_CODES) == set(SECTION_3)


@pytest.mark.parametrize("code", CODES)
def test_mapping(code):
    assert action_for(code) == SECTION_3[code]


def test_unknown_codes_and_transport_failures_are_retried():
    assert action_for(-99999) == ErrorAction.RETRY


# -- the real client over HTTP, against the sandbox's forced-error knob ---------------------


@pytest.fixture(scope="module")
def sandbox():
    server = SandboxServer(seed=7, receipt_ratio=0.0).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sandbox_token(sandbox):
    return sandbox.mint_tokens()["access_token"]


@pytest.mark.parametrize("code", CODES)
def test_client_over_http_keeps_code_message_and_action(sandbox, sandbox_token, code):
    import requests

    forced = requests.post(f"{sandbox.url}/_sandbox/faults", json={"error_code": code}, timeout=5)
    forced.raise_for_status()
    config = sandbox.state.config
    client = ZaloClient(
        api_base_url=sandbox.url,
        oauth_base_url=sandbox.url,
        app_id=config.app_id,
        app_secret=config.app_secret,
    )
    data = {"customer_name": "An", "order_code": "DH1", "delivered_at": "1/1"}
    with pytest.raises(ZaloAPIError) as caught:
        client.send_template(
            access_token=sandbox_token,
            phone="84912345678",
            template_id="100004",
            data=data,
            tracking_id="t1",
        )
    assert caught.value.code == code
    assert caught.value.action == SECTION_3[code]
    assert str(caught.value) == f"Zalo error {code}: {message_for(code)}"


# -- the worker's outcome for the message ------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("code", CODES)
def test_worker_outcome(account, zalo_api, code):
    message = MessageFactory()
    zalo_api.send_error(code, f"Zalo says {code}")
    if SECTION_3[code] == F:  # refreshed once, then sent again
        zalo_api.refresh_ok()
        zalo_api.send_ok()
    deliver(message.idempotency_key)
    message.refresh_from_db()
    action = SECTION_3[code]
    if action == F:
        assert message.status == Message.Status.SENT
        return
    assert (message.error_code, message.error_category) == (code, action)
    assert f"Zalo says {code}" in message.error_message
    if action in (P, D):
        assert message.status == Message.Status.FAILED and message.next_attempt_at is None
    else:
        assert message.status == Message.Status.QUEUED and message.next_attempt_at is not None
    assert message.attempts == (0 if action in (S, C) else 1)  # waits do not use up attempts
    assert SendingHold.objects.exists() == (action == C)


def test_docs_list_every_code():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs/errors.md").read_text()
    missing = [code for code in ERROR_CODES if f"| {code} |" not in text]
    assert not missing
