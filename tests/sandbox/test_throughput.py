"""A smoke test that one keep-alive session can push a burst through the sandbox."""

from __future__ import annotations

import time

from .conftest import sample

SENDS = 500


def test_500_sends_on_one_session(zalo):
    payload = {"phone": "84912345678", "template_id": "100001", "template_data": sample()}
    started = time.perf_counter()
    errors = [
        zalo.http.post(
            zalo.url + "/message/template",
            timeout=5,
            headers={"access_token": zalo.token},
            json={**payload, "tracking_id": f"order-{i}"},
        ).json()["error"]
        for i in range(SENDS)
    ]
    elapsed = time.perf_counter() - started

    assert errors == [0] * SENDS
    assert zalo.get("/message/quota")["data"]["remainingQuota"] == str(20000 - SENDS)
    assert zalo.inspect("tracking")["duplicates"] == 0
    print(f"{SENDS} sends in {elapsed:.2f}s ({SENDS / elapsed:.0f}/s)")
