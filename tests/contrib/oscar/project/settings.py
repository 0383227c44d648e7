"""The test Oscar shop's settings, in three parts:

1. Oscar's standard project settings (its "Building your own shop" guide), with the few
   choices of a Vietnamese shop: VND, guest checkout, a forked ``checkout`` app (to record
   payment sources, as docs/oscar.md shows);
2. docs/oscar.md's ``settings.py`` blocks, run as the page says to append them;
3. what a test run changes: the database (SQLite, or PostgreSQL with ZNS_TEST_DB=postgres,
   as tests/settings.py), the queue's name, fixed credentials.
"""

import os
import tempfile

from oscar.defaults import *  # noqa: F403  (Oscar's guide starts the settings with them)

from tests.contrib.oscar.project import page
from tests.databases import test_databases

# -- 1. Oscar's standard project ----------------------------------------------------------

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.contrib.oscar.project.urls"
LANGUAGE_CODE = "en"
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True
SITE_ID = 1
STATIC_URL = "/static/"
MEDIA_ROOT = tempfile.mkdtemp(prefix="zns-oscar-media-")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.flatpages",
    "oscar.config.Shop",
    "oscar.apps.analytics.apps.AnalyticsConfig",
    "tests.contrib.oscar.project.checkout.apps.CheckoutConfig",
    "oscar.apps.address.apps.AddressConfig",
    "oscar.apps.shipping.apps.ShippingConfig",
    "oscar.apps.catalogue.apps.CatalogueConfig",
    "oscar.apps.catalogue.reviews.apps.CatalogueReviewsConfig",
    "oscar.apps.communication.apps.CommunicationConfig",
    "oscar.apps.partner.apps.PartnerConfig",
    "oscar.apps.basket.apps.BasketConfig",
    "oscar.apps.payment.apps.PaymentConfig",
    "oscar.apps.offer.apps.OfferConfig",
    "oscar.apps.order.apps.OrderConfig",
    "oscar.apps.customer.apps.CustomerConfig",
    "oscar.apps.search.apps.SearchConfig",
    "oscar.apps.voucher.apps.VoucherConfig",
    "oscar.apps.wishlists.apps.WishlistsConfig",
    "oscar.apps.dashboard.apps.DashboardConfig",
    "oscar.apps.dashboard.reports.apps.ReportsDashboardConfig",
    "oscar.apps.dashboard.users.apps.UsersDashboardConfig",
    "oscar.apps.dashboard.orders.apps.OrdersDashboardConfig",
    "oscar.apps.dashboard.catalogue.apps.CatalogueDashboardConfig",
    "oscar.apps.dashboard.offers.apps.OffersDashboardConfig",
    "oscar.apps.dashboard.partners.apps.PartnersDashboardConfig",
    "oscar.apps.dashboard.pages.apps.PagesDashboardConfig",
    "oscar.apps.dashboard.ranges.apps.RangesDashboardConfig",
    "oscar.apps.dashboard.reviews.apps.ReviewsDashboardConfig",
    "oscar.apps.dashboard.vouchers.apps.VouchersDashboardConfig",
    "oscar.apps.dashboard.communications.apps.CommunicationsDashboardConfig",
    "oscar.apps.dashboard.shipping.apps.ShippingDashboardConfig",
    "widget_tweaks",
    "haystack",
    "treebeard",
    "django_tables2",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "oscar.apps.basket.middleware.BasketMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "oscar.apps.search.context_processors.search_form",
                "oscar.apps.checkout.context_processors.checkout",
                "oscar.apps.communication.notifications.context_processors.notifications",
                "oscar.core.context_processors.metadata",
            ],
        },
    },
]

AUTHENTICATION_BACKENDS = (
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
)

HAYSTACK_CONNECTIONS = {
    "default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"},
}

# The shop's own choices.
OSCAR_SHOP_NAME = "Cửa hàng thử"
OSCAR_DEFAULT_CURRENCY = "VND"
OSCAR_ALLOW_ANON_CHECKOUT = True
# Oscar's default thumbnailer is sorl-thumbnail, an extra package that resizes product
# images; this shop has no images, and the test suite does not install it.
OSCAR_THUMBNAILER = "tests.contrib.oscar.project.thumbnails.Unresized"

# -- 2. docs/oscar.md ---------------------------------------------------------------------

# The page reads the Zalo app's credentials from the environment; these are the test
# suite's (tests/settings.py), which the sandbox signs with.
os.environ.setdefault("ZNS_APP_ID", "3141592653589793238")
os.environ.setdefault("ZNS_APP_SECRET", "test-app-secret")
os.environ.setdefault("ZNS_OA_SECRET_KEY", "test-oa-secret-key")

page.run("settings.py", globals())

# -- 3. a test run ------------------------------------------------------------------------

# Its own files and database names, never those of the main suite's process, which is
# running (and waiting for this one) at the same time.
DATABASES = test_databases("zns-oscar-tests", postgres_test_suffix="_oscar_test")

# The page's queue, zns_notify's outbox broker on this run's database (SQLite, or
# PostgreSQL), under a name of its own; the tests drain it through the broker as a
# qcluster does (fixtures.deliver).
Q_CLUSTER = {**Q_CLUSTER, "name": "zns_oscar_tests", "workers": 1}  # noqa: F405
ZNS_NOTIFY = {
    **ZNS_NOTIFY,  # noqa: F405
    # Unroutable on purpose: a test that forgets to start the sandbox fails.
    "API_BASE_URL": "http://zalo.test",
    "OAUTH_BASE_URL": "http://oauth.zalo.test",
    "RETRY_BACKOFF": 1,
}

# test_qcluster.py starts a real qcluster with this module: it runs on that test's database
# and sends to its sandbox.
if os.environ.get("ZNS_OSCAR_WORKER_DATABASE"):
    DATABASES["default"]["NAME"] = os.environ["ZNS_OSCAR_WORKER_DATABASE"]
    ZNS_NOTIFY["API_BASE_URL"] = ZNS_NOTIFY["OAUTH_BASE_URL"] = os.environ[
        "ZNS_OSCAR_WORKER_SANDBOX"
    ]
