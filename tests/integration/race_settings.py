"""Settings for the token-race worker processes: the test settings on the database named
by ZNS_RACE_DATABASE_URL, talking to the sandbox at ZNS_RACE_ZALO_URL."""

import os

import environ

from tests.settings import *  # noqa: F401,F403
from tests.settings import ZNS_NOTIFY

DATABASES = {"default": environ.Env.db_url_config(os.environ["ZNS_RACE_DATABASE_URL"])}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
ZNS_NOTIFY = {
    **ZNS_NOTIFY,
    "API_BASE_URL": os.environ["ZNS_RACE_ZALO_URL"],
    "OAUTH_BASE_URL": os.environ["ZNS_RACE_ZALO_URL"],
}
