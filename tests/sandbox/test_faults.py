"""Fault knobs: latency, HTTP 500, held connections, resets, forced errors."""

from __future__ import annotations

import time

import pytest
import requests

from .conftest import PHONE


def set_faults(zalo, **knobs):
    response = zalo.knob("faults", knobs)
    assert response.status_code == 200, response.text
    return response.json()


def test_defaults(zalo):
    faults = zalo.inspect("faults")
    assert faults["latency_ms"] == 0 and faults["error_code"] is None
    assert faults["http_500_rate"] == faults["timeout_rate"] == faults["reset_rate"] == 0


def test_latency(zalo):
    set_faults(zalo, latency_ms=200)
    started = time.monotonic()
    assert zalo.send()["error"] == 0
    assert time.monotonic() - started >= 0.2


def test_http_500_is_not_processed(zalo):
    set_faults(zalo, http_500_rate=1)
    response = zalo.http.post(
        zalo.url + "/message/template", json={}, headers={"access_token": zalo.token}, timeout=5
    )
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")
    assert zalo.inspect("messages")["count"] == 0  # /_sandbox/ is never faulted


def test_timeout_holds_the_answer_but_processes_the_send(zalo):
    set_faults(zalo, timeout_rate=1, timeout_seconds=2)
    with pytest.raises(requests.ReadTimeout):
        zalo.http.post(
            zalo.url + "/message/template",
            timeout=0.3,
            headers={"access_token": zalo.token},
            json={
                "phone": PHONE,
                "template_id": "100001",
                "template_data": {
                    "customer_name": "A",
                    "order_code": "B",
                    "order_date": "C",
                    "total_amount": "D",
                },
            },
        )
    # Accepted although the client never heard back: retrying now would duplicate it.
    assert zalo.inspect("messages")["count"] == 1


def test_held_answer_eventually_arrives(zalo):
    set_faults(zalo, timeout_rate=1, timeout_seconds=0.3)
    started = time.monotonic()
    assert zalo.send()["error"] == 0
    assert time.monotonic() - started >= 0.3


def test_reset_closes_without_answering(zalo):
    set_faults(zalo, reset_rate=1)
    with pytest.raises(requests.ConnectionError):
        zalo.http.post(
            zalo.url + "/message/template",
            json={"phone": PHONE},
            headers={"access_token": zalo.token},
            timeout=5,
        )
    assert zalo.inspect("messages")["count"] == 0
    set_faults(zalo, reset_rate=0)
    assert zalo.send()["error"] == 0  # the session recovers with a new connection


def test_faults_can_target_paths(zalo):
    set_faults(zalo, http_500_rate=1, paths=["/message/template"])
    assert zalo.get("/template/all")["error"] == 0
    assert zalo.http.post(zalo.url + "/message/template", json={}, timeout=5).status_code == 500


def test_seeded_faults_are_reproducible(make_zalo):
    def outcomes(seed):
        zalo = make_zalo(seed=seed, faults={"http_500_rate": 0.5})
        return [
            zalo.http.get(
                zalo.url + "/message/quota", timeout=5, headers={"access_token": zalo.token}
            ).status_code
            for _ in range(30)
        ]

    first = outcomes(3)
    assert first == outcomes(3)
    assert first != outcomes(4)
    assert set(first) == {200, 500}


def test_reseeding_at_runtime_repeats_the_sequence(zalo):
    def run():
        set_faults(zalo, seed=11, error_code=-100, error_rate=0.5)
        return [zalo.send()["error"] for _ in range(20)]

    assert run() == run()


@pytest.mark.parametrize(
    ("knobs", "code"),
    [
        ({"error_code": -100}, -100),
        ({"error_codes_by_phone": {"0912345678": -141}}, -141),
        ({"error_codes_by_template": {"100001": -146}}, -146),
    ],
)
def test_forced_errors(zalo, knobs, code):
    set_faults(zalo, **knobs)
    reply = zalo.send()
    assert reply["error"] == code and reply["data"] is None and reply["message"]
    assert zalo.inspect("messages")["count"] == 0


def test_forced_errors_are_scoped(zalo):
    set_faults(
        zalo, error_codes_by_phone={"84912345678": -141}, error_codes_by_template={"100002": -146}
    )
    assert zalo.send(phone="84987654322")["error"] == 0
    assert zalo.send()["error"] == -141
    assert (
        zalo.send(
            phone="84987654322",
            template_id="100002",
            template_data={
                "customer_name": "A",
                "order_code": "B",
                "amount": "1",
                "paid_at": "x",
                "payment_method": "y",
            },
        )["error"]
        == -146
    )


def test_forced_errors_only_hit_otherwise_valid_sends(zalo):
    set_faults(zalo, error_code=-100)
    assert zalo.send(phone="1")["error"] == -108
    assert zalo.send(phone="84999000118")["error"] == -118


@pytest.mark.parametrize(
    "knobs",
    [
        {"http_500_rate": 2},
        {"latency_ms": -1},
        {"latency_ms": 10**6},
        {"timeout_seconds": 1000},
        {"reset_rate": 0.6, "http_500_rate": 0.6},
        {"error_code": 5},
        {"error_code": "x"},
        {"error_codes_by_phone": {"12": -118}},
        {"error_codes_by_template": []},
        {"paths": "/message"},
        {"bogus": 1},
        {"seed": "x"},
        {"http_500_rate": True},
    ],
)
def test_bad_knobs_are_refused_and_change_nothing(zalo, knobs):
    response = zalo.knob("faults", knobs)
    assert response.status_code == 400
    assert response.json()["error"] == -132 and response.json()["message"]
    assert zalo.inspect("faults")["http_500_rate"] == 0


def test_malformed_knob_body(zalo):
    response = zalo.http.post(zalo.url + "/_sandbox/faults", data=b"{nope", timeout=5)
    assert response.status_code == 400


def test_reset_clears_messages_and_faults_but_keeps_tokens(zalo):
    zalo.send(tracking_id="a")
    set_faults(zalo, latency_ms=5)
    assert zalo.knob("reset", {}).json() == {"reset": True, "tokens_cleared": False}
    assert zalo.inspect("messages")["count"] == 0
    assert zalo.inspect("tracking") == {"counts": {}, "duplicates": 0, "first_seen": {}}
    assert zalo.inspect("faults")["latency_ms"] == 0
    assert zalo.get("/message/quota")["data"]["remainingQuota"] == "20000"
    assert zalo.send()["error"] == 0


def test_reset_with_tokens(zalo):
    zalo.knob("reset", {"tokens": True})
    assert zalo.send()["error"] == -124
    assert zalo.inspect("tokens")["counts"]["issued"] == 0
