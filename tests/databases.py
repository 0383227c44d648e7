"""The test database of one pytest process, as its settings module declares it: SQLite
files of its own (never ":memory:": the live server's thread and worker subprocesses open
the database too), or PostgreSQL from ZNS_TEST_DATABASE_URL when ZNS_TEST_DB=postgres.
Shared by the main suite's settings and the Oscar project's, which run at the same time."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import environ


def test_databases(prefix: str, postgres_test_suffix: str = "") -> dict:
    """DATABASES for a process whose files start with ``prefix``. ``postgres_test_suffix``
    names a PostgreSQL test database apart from another process's on the same server."""
    env = environ.Env()
    if os.environ.get("ZNS_TEST_DB") == "postgres":
        database = env.db_url("ZNS_TEST_DATABASE_URL")
        if postgres_test_suffix:
            database["TEST"] = {"NAME": f"{database['NAME']}{postgres_test_suffix}"}
        return {"default": database}
    path = Path(tempfile.gettempdir()) / f"{prefix}-{os.getpid()}.sqlite3"
    database = env.db_url_config(f"sqlite:///{path}")
    database["TEST"] = {"NAME": str(path.with_suffix(".test.sqlite3"))}
    # IMMEDIATE: writers queue for the lock instead of failing on a read-to-write upgrade.
    database["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    return {"default": database}
