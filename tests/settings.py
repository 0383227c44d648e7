"""Settings for the test suite: SQLite (or ZNS_TEST_DATABASE_URL), the demo shop's Order
model watched by zns_notify, and django-q2's ORM broker."""

import os
import tempfile
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("vi", "Tiếng Việt")]
USE_I18N = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "rest_framework",
    "zns_notify",
    "demo_shop.shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "demo_shop.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# SQLite files, never ":memory:": the live server thread of the webhook tests must get its
# own connection (Django shares an in-memory connection across threads), and worker
# subprocesses must be able to open the database.
_SQLITE = Path(tempfile.gettempdir()) / f"zns-tests-{os.getpid()}.sqlite3"
# The suite runs on SQLite; `make test` runs it once more on PostgreSQL (ZNS_TEST_DB=postgres)
# when ZNS_TEST_DATABASE_URL is set.
if os.environ.get("ZNS_TEST_DB") == "postgres":
    DATABASES = {"default": env.db_url("ZNS_TEST_DATABASE_URL")}
else:
    DATABASES = {"default": env.db_url_config(f"sqlite:///{_SQLITE}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(_SQLITE.with_suffix(".test.sqlite3"))}
    # IMMEDIATE: writers queue for the lock instead of failing on a read-to-write upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 20,
    }

Q_CLUSTER = {
    "name": "zns_tests",
    "orm": "default",
    "sync": False,
    "workers": 1,
    "timeout": 30,
    "retry": 60,
    "max_attempts": 1,
    "catch_up": False,
}

ZNS_NOTIFY = {
    "API_BASE_URL": "http://zalo.test",
    "OAUTH_BASE_URL": "http://oauth.zalo.test",
    "APP_ID": "3141592653589793238",
    "APP_SECRET": "test-app-secret",
    "OA_SECRET_KEY": "test-oa-secret-key",
    "ORDER_MODEL": "shop.Order",
    "ORDER_STATUS_FIELD": "status",
    "ORDER_STATUS_EVENTS": {
        "new": "order_created",
        "paid": "order_paid",
        "shipped": "order_shipped",
        "delivered": "order_delivered",
    },
    "ORDER_PHONE": "phone",
    "ORDER_CUSTOMER_NAME": "customer_name",
    "ORDER_CODE": "code",
    "EXTRA_EVENTS": {"order_cancelled": "Order cancelled"},
    "RETRY_BACKOFF": 1,
}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
