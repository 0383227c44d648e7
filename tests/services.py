"""The production profile's services for tests: PostgreSQL and Redis from
ZNS_TEST_DATABASE_URL / ZNS_TEST_REDIS_URL.

A newcomer without them gets these tests skipped; CI sets ZNS_REQUIRE_SERVICES=1 so a
missing service fails the run instead of silently skipping the production profile.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest


def service_url(name: str) -> str:
    url = os.environ.get(name, "")
    if not url:
        message = f"{name} is not set: the PostgreSQL + Redis profile is not tested"
        if os.environ.get("ZNS_REQUIRE_SERVICES") == "1":
            pytest.fail(message + " (ZNS_REQUIRE_SERVICES=1)")
        pytest.skip(message)
    return url


@contextmanager
def fresh_postgres_database(server_url: str, prefix: str = "zns_e2e_") -> Iterator[str]:
    """A new, empty database on the server of ``server_url``, its name ``prefix`` and ten
    random hex digits; dropped afterwards."""
    import psycopg

    parts = urlsplit(server_url)
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
