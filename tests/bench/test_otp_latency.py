"""bench/otp_latency.py in a small configuration (issue 17's latency benchmark): a backlog
of 1,000 order messages and 10 codes, on SQLite + the outbox broker and, with
ZNS_TEST_DATABASE_URL / ZNS_TEST_REDIS_URL, on PostgreSQL + Redis.

Only the benchmark's behaviour is checked: every code reached the sandbox once, the
backlog was queued when the codes were requested, the figures are printed. Never the
figures themselves: the machine decides those (docs/performance.md has them).
"""

from __future__ import annotations

import pytest

from bench import otp_latency
from tests.services import service_url

pytestmark = pytest.mark.slow

BACKLOG = 1000
CODES = 10


@pytest.mark.parametrize("profile", ["sqlite-orm", "postgres-redis"])
def test_every_code_is_timed_behind_a_queued_backlog(profile, tmp_path, capsys):
    argv = ["--profile", profile, "--backlog", str(BACKLOG), "--codes", str(CODES)]
    argv += ["--workdir", str(tmp_path), "--timeout", "120"]
    if profile == "postgres-redis":
        argv += ["--database-url", service_url("ZNS_TEST_DATABASE_URL")]
        argv += ["--redis-url", service_url("ZNS_TEST_REDIS_URL")]

    cases = otp_latency.run(otp_latency.parse_args(argv))
    text = otp_latency.report(cases)
    with capsys.disabled():  # the figures belong in every CI log, passed or not
        print(f"\n== OTP latency benchmark, {profile}\n{text}")

    assert [(case.profile, case.backlog) for case in cases] == [(profile, 0), (profile, BACKLOG)]
    calm, busy = cases
    for case in cases:
        assert case.sandbox_counts == [1] * CODES, text  # each code on the wire, once
        assert len(case.arrived) == CODES and len(case.calls) == CODES, text
        assert set(case.statuses) == {"sent"}, text
    assert set(calm.queued_at_requests) == {0}, text
    # The codes went out while the backlog waited: most of it was still queued at the
    # first request, and (on Redis) its tasks were in the broker's queue.
    assert busy.queued_at_requests[0] >= BACKLOG // 2, text
    if profile == "postgres-redis":
        assert busy.redis_tasks and busy.redis_tasks >= BACKLOG // 2, text
    for figure in ("p50", "p95", "p99", "max", "queued at requests"):
        assert figure in text
    assert f"{profile}: with/without the {BACKLOG} backlog p50 " in text, text
    assert "against 1 s: PASS" in text or "against 1 s: FAIL" in text, text
