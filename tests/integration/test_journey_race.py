"""Acceptance: OS processes that send messages of one order at the same moment ask Zalo
for ONE journey token and all send under it, on a SQLite file database and on
PostgreSQL, against the sandbox over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.integration.test_token_race import sqlite_database
from tests.services import fresh_postgres_database, service_url
from zns_notify.sandbox import SandboxServer

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tests.integration.journey_race", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_workers_sending_one_orders_messages_at_once_share_one_journey(
    database, tmp_path, settings
):
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
            rendezvous = tmp_path / "ready"
            rendezvous.mkdir()
            module = [sys.executable, "-m", "tests.integration.journey_race", "worker"]
            workers = [
                subprocess.Popen(
                    [*module, str(i), str(WORKERS), str(rendezvous)],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for i in range(WORKERS)
            ]
            for process in workers:
                out, err = process.communicate(timeout=120)
                assert process.returncode == 0, err[-3000:]
                assert json.loads(out.strip().splitlines()[-1])["status"] == "sent"
            report = run(["report"], env)
            assert report.returncode == 0, report.stderr[-3000:]
            stored = json.loads(report.stdout.strip().splitlines()[-1])
        with requests.Session() as http:
            http.trust_env = False
            journeys = http.get(f"{server.url}/_sandbox/journeys", timeout=5).json()
    finally:
        server.stop()

    assert journeys["get_token_requests"] == 1
    [journey] = stored["journeys"]
    assert journey["state"] == "active"
    assert stored["messages"] == [["sent", journey["pk"], ""]] * WORKERS
    [row] = journeys["journeys"]
    assert row["journey_id"] == journey["journey_id"] and row["messages"] == WORKERS
