"""The rate limits hold when requests and checks race: each thread has its own database
connection, released together by a barrier. On PostgreSQL nothing else would serialise
the count and the insert that follows it (zns_notify.otp.limits takes an advisory lock
per limit key)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from zns_notify.models import OtpChallenge, OtpCheck
from zns_notify.otp import OtpRefused, Refusal, request_code, verify_code

pytestmark = pytest.mark.django_db(transaction=True)

IP = "203.0.113.7"
PHONES = [f"09123456{n:02d}" for n in range(10, 26)]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "the race is PostgreSQL's: SQLite's IMMEDIATE transactions already take turns "
            "(run with ZNS_TEST_DB=postgres)"
        )


def race(calls) -> list[str]:
    """Run each of ``calls`` in its own thread, all released at once; their outcomes:
    "ok" or the refusal's code."""
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(calls))

    def run(call):
        try:
            start.wait()
            try:
                call()
                outcome = "ok"
            except OtpRefused as refusal:
                outcome = str(refusal.code)
            with lock:
                outcomes.append(outcome)
        finally:
            connections.close_all()  # this thread's own connection

    pool = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(60)
    return sorted(outcomes)


def test_the_per_ip_limit_holds_for_parallel_requests(clock, sent, otp_settings):
    otp_settings(OTP_LIMIT_PER_IP=(3, 3600))
    outcomes = race([lambda p=p: request_code(p, "login", client_ip=IP) for p in PHONES])
    assert outcomes == ["ok"] * 3 + [Refusal.RATE_LIMITED] * 13
    assert OtpChallenge.objects.count() == 3


def test_the_per_phone_limit_holds_across_purposes(clock, sent, otp_settings):
    otp_settings(OTP_LIMIT_PER_PHONE=(1, 3600))
    purposes = ["sign_up", "login", "checkout"]
    outcomes = race([lambda p=p: request_code(PHONES[0], p) for p in purposes])
    assert outcomes == ["ok"] + [Refusal.RATE_LIMITED] * 2
    assert OtpChallenge.objects.count() == 1


def test_the_per_purpose_limit_holds_for_parallel_requests(clock, sent, otp_settings):
    otp_settings(OTP_LIMIT_PER_PURPOSE=(2, 3600))
    outcomes = race([lambda p=p: request_code(p, "login") for p in PHONES[:8]])
    assert outcomes == ["ok"] * 2 + [Refusal.RATE_LIMITED] * 6


def test_the_check_limit_holds_for_parallel_checks(clock, sent, otp_settings):
    otp_settings(OTP_VERIFY_LIMIT_PER_IP=(3, 3600))
    outcomes = race([lambda p=p: verify_code(p, "login", "000000", client_ip=IP) for p in PHONES])
    assert outcomes == [Refusal.INVALID_CODE] * 3 + [Refusal.RATE_LIMITED] * 13
    assert OtpCheck.objects.count() == 3
