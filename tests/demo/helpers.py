"""Helpers for the tests that start demo processes."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from demo_shop.shop.processes import process_env

MANAGE_PY = Path(__file__).resolve().parents[2] / "manage.py"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_process_env(database_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a demo process on its own SQLite file.

    Nothing from the test run's environment may leak in: pytest-django exports the test
    settings as DJANGO_SETTINGS_MODULE, and a developer may have ZNS_* variables set.
    """
    leaking = ("ZNS_", "DJANGO_", "DEMO_", "DATABASE_URL", "REDIS_URL")
    base = {key: value for key, value in os.environ.items() if not key.startswith(leaking)}
    return process_env(
        {
            "DJANGO_SETTINGS_MODULE": "demo_shop.settings",
            "DATABASE_URL": f"sqlite:///{database_dir}/demo.sqlite3",
            **overrides,
        },
        base=base,
    )
