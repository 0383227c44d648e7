"""A PostgreSQL cluster of the test's own, to restart without disturbing anyone else's
(the machine's shared server serves other tests in parallel).

Needs the server's binaries (``initdb``, ``pg_ctl``: Debian's postgresql package). Missing,
the test fails when ZNS_REQUIRE_SERVICES=1 (CI) and is skipped otherwise.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

#: Where Debian puts each major version's binaries; the newest is used.
BINARIES = "/usr/lib/postgresql/*/bin"


def server_binaries() -> Path:
    found = sorted(
        (Path(d) for d in glob.glob(BINARIES) if (Path(d) / "pg_ctl").exists()),
        key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0,
    )
    on_path = shutil.which("pg_ctl")
    if found:
        return found[-1]
    if on_path:
        return Path(on_path).parent
    message = f"initdb/pg_ctl not found ({BINARIES} or PATH): the PostgreSQL restart is not tested"
    if os.environ.get("ZNS_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (ZNS_REQUIRE_SERVICES=1)")
    pytest.skip(message)


class PrivateCluster:
    """initdb'd in a temporary directory, listening on ``port`` of 127.0.0.1 only."""

    def __init__(self, port: int):
        self.bin = server_binaries()
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="zns-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        # initdb refuses to run as root: the cluster belongs to the postgres user then.
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.root, self.user)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{tool} {args[:1]} failed: {done.stderr[-2000:]}\n{log}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, down_for: float) -> float:
        """Stop (every connection terminated, as in a restart or failover), stay down
        ``down_for`` seconds, start again; return how long the server was away."""
        began = time.monotonic()
        self.stop("fast")
        time.sleep(down_for)
        self.start()
        return time.monotonic() - began

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except RuntimeError:
            pass  # not running
        shutil.rmtree(self.root, ignore_errors=True)
