"""Settings of the demo shop, read from the environment (see .env.example at the top level).

With no environment at all the demo runs on a SQLite file in var/, queues through
django-q2's ORM broker, and talks to the Zalo sandbox on 127.0.0.1:8765.
"""

from pathlib import Path

import environ

from zns_notify.sandbox import defaults as sandbox_defaults

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file is optional; real environment variables win over it.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-demo-shop-only-for-local-use")
DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "rest_framework",
    # Token authentication for the REST API under /zns/api/ (docs/api.md).
    "rest_framework.authtoken",
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
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo_shop.urls"
WSGI_APPLICATION = "demo_shop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project-level overrides of other apps' templates (the admin's language switch).
        "DIRS": [BASE_DIR / "demo_shop" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DEFAULT_SQLITE_PATH = BASE_DIR / "var" / "demo.sqlite3"
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DEFAULT_SQLITE_PATH}")}

_default_db = DATABASES["default"]
if _default_db["ENGINE"] == "django.db.backends.sqlite3" and _default_db["NAME"] != ":memory:":
    if Path(_default_db["NAME"]) == DEFAULT_SQLITE_PATH:
        DEFAULT_SQLITE_PATH.parent.mkdir(exist_ok=True)
    # The web server and the qcluster processes write to the same file. WAL lets readers run
    # beside the writer; IMMEDIATE takes the write lock when a transaction starts, so two
    # writers queue up (up to `timeout` seconds) instead of failing with "database is locked"
    # when a read lock would have to be upgraded mid-transaction.
    _default_db.setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )

if _default_db["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections (opening one per request costs more than a receipt's whole
    # work), checked before each request or task uses them: after a PostgreSQL restart or
    # failover every process reconnects by itself (docs/deployment.md). The URL's own
    # ?conn_max_age= / ?conn_health_checks= win.
    _default_db.setdefault("CONN_MAX_AGE", 60)
    _default_db.setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = []  # the demo's admin login is admin / admin on purpose

# --- Languages and time ------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="vi")
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"

# --- Queue (django-q2) -----------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
Q_CLUSTER = {
    "name": "demo_shop",
    "workers": 2,
    # A send is one HTTP call with zns_notify's own request timeout, far below 30 s.
    "timeout": 30,
    # django-q2 requires retry > timeout; with max_attempts 1 it only matters for a task
    # whose worker died, and zns_notify's sweeper re-enqueues those messages anyway.
    "retry": 60,
    # Retries live in zns_notify's Message rows (backoff, reasons), not in the broker.
    "max_attempts": 1,
    # Successful tasks are not saved (failed ones are): the Message table is the delivery
    # log, and saving (then pruning) a success row per task costs throughput
    # (docs/performance.md).
    "save_limit": -1,
    # A restarted demo must not fire every missed schedule at once.
    "catch_up": False,
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    # django-q2's Redis broker, whose idle poll also recovers a dead worker's rows within
    # about 40 s instead of the sweeper's next minute on top of the lease.
    Q_CLUSTER["broker_class"] = "zns_notify.broker.Redis"
else:
    Q_CLUSTER["orm"] = "default"
    # django-q2's ORM broker, plus zns_notify's outbox: queued messages need no queue row
    # of their own, which keeps an order save's cost down (docs/performance.md).
    Q_CLUSTER["broker_class"] = "zns_notify.broker.OutboxORM"

# --- zns_notify ----------------------------------------------------------------------------
# Demo credentials shared with the sandbox: it signs its webhooks with the same app id and
# OA secret key, so leaving the variables unset keeps both sides in agreement.
SANDBOX_URL = f"http://{sandbox_defaults.DEFAULT_HOST}:{sandbox_defaults.DEFAULT_PORT}"

# Unset API URL -> the sandbox for both hosts (it serves the OAuth paths too). A set API URL
# with no OAuth URL means real Zalo, so zns_notify's default OAuth host applies.
_api_base_url = env.str("ZNS_API_BASE_URL", default="")
_oauth_base_url = env.str("ZNS_OAUTH_BASE_URL", default="" if _api_base_url else SANDBOX_URL)
ZNS_NOTIFY = {
    "API_BASE_URL": _api_base_url or SANDBOX_URL,
    **({"OAUTH_BASE_URL": _oauth_base_url} if _oauth_base_url else {}),
    "APP_ID": env.str("ZNS_APP_ID", default=sandbox_defaults.DEMO_APP_ID),
    "APP_SECRET": env.str("ZNS_APP_SECRET", default=sandbox_defaults.DEMO_APP_SECRET),
    "OA_SECRET_KEY": env.str("ZNS_OA_SECRET_KEY", default=sandbox_defaults.DEMO_OA_SECRET_KEY),
    "DEVELOPMENT_MODE": False,
    "TIMEZONE": TIME_ZONE,
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
    # The recipient cap keeps zns_notify's defaults (TRANSACTION uncapped, customer care
    # 5 and promotion 3 a day per phone, docs/policy.md), which zns_demo's hundreds of
    # orders for ten customers never reach. ZNS_RECIPIENT_DAILY_CAP, when set, caps every
    # tag at that number, TRANSACTION included (0 = off), to watch the cap skip messages.
    "RECIPIENT_DAILY_CAP": env.int("ZNS_RECIPIENT_DAILY_CAP", default=None),
}

# Delivery and recovery timings (docs/settings.md), for operators and for the fault-injection
# suite (tests/reliability/), which shortens them so that a run takes minutes. Unset: the
# defaults of zns_notify.conf.
_TIMINGS = {
    "MAX_ATTEMPTS": env.int("ZNS_MAX_ATTEMPTS", default=None),
    "RETRY_BACKOFF": env.float("ZNS_RETRY_BACKOFF", default=None),
    "RETRY_BACKOFF_MAX": env.float("ZNS_RETRY_BACKOFF_MAX", default=None),
    "SEND_LEASE": env.float("ZNS_SEND_LEASE", default=None),
    "LOST_TASK_AFTER": env.float("ZNS_LOST_TASK_AFTER", default=None),
    "AMBIGUOUS_SENDS": env.str("ZNS_AMBIGUOUS_SENDS", default=None),
    "AMBIGUOUS_GRACE": env.float("ZNS_AMBIGUOUS_GRACE", default=None),
    "REQUEST_TIMEOUT": env.float("ZNS_REQUEST_TIMEOUT", default=None),
}
ZNS_NOTIFY.update({key: value for key, value in _TIMINGS.items() if value is not None})

# The SMS fallback (docs/fallback.md) through eSMS.vn's API. Against the sandbox (the API
# URL unset, or rundemo's own sandbox on loopback) its eSMS mode answers at the same
# address with the demo keys it prints on start; against real Zalo the SMS is off unless
# ZNS_SMS_PROVIDER and the ZNS_ESMS_* keys are given.
_zns_url = ZNS_NOTIFY["API_BASE_URL"]
_on_sandbox = _zns_url.startswith(("http://127.0.0.1:", "http://localhost:"))
_sms_provider = env.str("ZNS_SMS_PROVIDER", default="esms" if _on_sandbox else "")
if _sms_provider:
    ZNS_NOTIFY.update(
        {
            "SMS_PROVIDER": _sms_provider,
            "SMS_PROVIDER_OPTIONS": {
                "api_key": env.str("ZNS_ESMS_API_KEY", default=sandbox_defaults.DEMO_ESMS_API_KEY),
                "secret_key": env.str(
                    "ZNS_ESMS_SECRET_KEY", default=sandbox_defaults.DEMO_ESMS_SECRET_KEY
                ),
                "brandname": env.str(
                    "ZNS_ESMS_BRANDNAME", default=sandbox_defaults.DEMO_BRANDNAMES[0]
                ),
                "base_url": env.str("ZNS_SMS_BASE_URL", default=_zns_url if _on_sandbox else ""),
            },
            # eSMS's customer-care price is about 3 ZNS messages a segment (docs/fallback.md).
            "SMS_COST_PER_SEGMENT": env.int("ZNS_SMS_COST_PER_SEGMENT", default=850),
        }
    )

LOGIN_URL = "admin:login"
