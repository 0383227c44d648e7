"""Settings for the test suite: the demo shop's settings (so the tests exercise the same
wiring a user runs), on a test database, with fixed zns_notify credentials and no network.

The database is SQLite, or PostgreSQL from ZNS_TEST_DATABASE_URL when ZNS_TEST_DB=postgres
(`make test` runs both when the URL is set).
"""

from demo_shop.settings import *  # noqa: F401,F403
from demo_shop.settings import Q_CLUSTER, ZNS_NOTIFY
from tests.databases import test_databases

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
LANGUAGE_CODE = "en"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# SQLite files, or PostgreSQL (tests/databases.py says why files).
DATABASES = test_databases("zns-tests")

# django-q2's plain ORM broker on the test database, whatever REDIS_URL the environment
# has: the suite covers the in-transaction enqueue; tests/events/test_relay.py switches to
# zns_notify's outbox broker, and the demo end-to-end test runs the demo's settings.
Q_CLUSTER = {
    **{k: v for k, v in Q_CLUSTER.items() if k not in ("redis", "broker_class")},
    "name": "zns_tests",
    "orm": "default",
    "workers": 1,
}

ZNS_NOTIFY = {
    # No SMS provider unless a test configures one (tests/fallback/conftest.py): the demo's
    # eSMS settings point at a sandbox that a test run has not started.
    **{key: value for key, value in ZNS_NOTIFY.items() if not key.startswith("SMS_")},
    # Unroutable on purpose: a test that forgets to mock Zalo or start the sandbox fails.
    "API_BASE_URL": "http://zalo.test",
    "OAUTH_BASE_URL": "http://oauth.zalo.test",
    "APP_ID": "3141592653589793238",
    "APP_SECRET": "test-app-secret",
    "OA_SECRET_KEY": "test-oa-secret-key",
    "RETRY_BACKOFF": 1,
}
