"""Benchmark settings: the test settings on a fresh SQLite file (path from ZNS_BENCH_DB)."""

import os

from tests.settings import *  # noqa: F401,F403
from tests.settings import DATABASES

DATABASES["default"] = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.environ["ZNS_BENCH_DB"],
    "OPTIONS": {
        "init_command": os.environ.get(
            "ZNS_BENCH_PRAGMAS", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        ),
        "timeout": 20,
    },
}
