"""Settings of bench/receipts_server.py: the demo shop's, on the PostgreSQL database it
names (ZNS_BENCH_DATABASE_URL), with persistent connections as docs/deployment.md
recommends, and the bench's own URLs (bench/receipts_urls.py: the demo's, plus the bare
UPDATE view the receipts are measured against).
"""

import os

import environ

from demo_shop.settings import *  # noqa: F401,F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.receipts_urls"

DATABASES = {
    "default": {
        **environ.Env.db_url_config(os.environ["ZNS_BENCH_DATABASE_URL"]),
        # 0 = a connection per request (Django's default), to measure what that costs.
        "CONN_MAX_AGE": int(os.environ.get("ZNS_BENCH_CONN_MAX_AGE", "60")),
        "CONN_HEALTH_CHECKS": True,
    }
}

# The rejected (unsigned) side logs a warning per request: only errors reach the console.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"zns_notify": {"handlers": ["console"], "level": "ERROR", "propagate": False}},
}
