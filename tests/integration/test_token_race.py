"""Acceptance: N OS processes that all need a token refresh at the same moment make exactly
ONE refresh call, reuse no refresh token, and all use (and send with) the new token — on a
SQLite file database and on PostgreSQL, against the sandbox over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.services import fresh_postgres_database, service_url
from zns_notify.sandbox import SandboxServer

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 6


@contextmanager
def sqlite_database(tmp_path: Path):
    yield f"sqlite:///{tmp_path / 'race.sqlite3'}"


def run(args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tests.integration.token_race", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_concurrent_processes_refresh_once_and_share_the_new_token(database, tmp_path, settings):
    if database == "postgres":
        databases = fresh_postgres_database(service_url("ZNS_TEST_DATABASE_URL"))
    else:
        databases = sqlite_database(tmp_path)
    zns = settings.ZNS_NOTIFY
    server = SandboxServer(
        app_id=zns["APP_ID"],
        app_secret=zns["APP_SECRET"],
        oa_secret_key=zns["OA_SECRET_KEY"],
        receipt_ratio=0.0,
        seed=7,
    ).start()
    try:
        with databases as url:
            pair = server.mint_tokens()
            env = {
                **os.environ,
                "ZNS_RACE_DATABASE_URL": url,
                "ZNS_RACE_ZALO_URL": server.url,
                "ZNS_RACE_ACCESS": pair["access_token"],
                "ZNS_RACE_REFRESH": pair["refresh_token"],
            }
            setup = run(["setup", str(WORKERS)], env)
            assert setup.returncode == 0, setup.stderr[-3000:]
            with requests.Session() as http:
                http.trust_env = False
                expire = http.post(
                    f"{server.url}/_sandbox/faults", json={"expire_access_tokens": True}, timeout=5
                )
                assert expire.status_code == 200  # the stored access token is dead at Zalo too

                rendezvous = tmp_path / "ready"
                rendezvous.mkdir()
                workers = [
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "tests.integration.token_race",
                            "worker",
                            str(i),
                            str(WORKERS),
                            str(rendezvous),
                        ],
                        cwd=ROOT,
                        env=env,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                    for i in range(WORKERS)
                ]
                results = []
                for process in workers:
                    out, err = process.communicate(timeout=120)
                    assert process.returncode == 0, err[-3000:]
                    results.append(json.loads(out.strip().splitlines()[-1]))
                    for secret in pair.values():
                        assert secret[:20] not in out + err

                history = http.get(f"{server.url}/_sandbox/tokens", timeout=5).json()
                tracking = http.get(f"{server.url}/_sandbox/tracking", timeout=5).json()
    finally:
        server.stop()

    counts = history["counts"]
    assert counts["refreshed"] == 1, history["events"]
    assert counts["reuse_attempts"] == 0 and counts["invalid_refresh_tokens"] == 0
    issued = [e["access_token"] for e in history["events"] if e["event"] == "refreshed"]
    assert {r["token"] for r in results} == set(issued)  # every process got THE new token
    assert all(r["same_as_stored"] for r in results)  # ... and it was committed before use
    assert [r["status"] for r in results] == ["sent"] * WORKERS
    assert sorted(tracking["counts"].values()) == [1] * WORKERS
