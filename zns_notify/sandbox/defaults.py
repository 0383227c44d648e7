"""Demo credentials and sandbox defaults, shared by the sandbox, the demo settings and tests.

These are the values used when ZNS_APP_ID / ZNS_APP_SECRET / ZNS_OA_SECRET_KEY are unset
(see the team contract). They are not secrets: they only ever talk to the local sandbox.
"""

from __future__ import annotations

DEMO_APP_ID = "3141592653589793238"
DEMO_APP_SECRET = "demo-app-secret"
DEMO_OA_SECRET_KEY = "demo-oa-secret-key"
DEMO_OA_ID = "2718281828459045235"
DEMO_OA_NAME = "Cửa hàng Demo"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_WEBHOOK_URL = "http://127.0.0.1:8000/zns/webhook/"

# Zalo's OAuth v4 lifetimes (zns-api.md §4): access token 25 h, refresh token 3 months.
ACCESS_TOKEN_TTL = 90_000
REFRESH_TOKEN_TTL = 90 * 24 * 3600
AUTH_CODE_TTL = 600

# The ZBS-era starting tier for a new OA (zns-api.md §6).
DAILY_QUOTA = 20_000

# The OA's sending quality GET /quality answers (48 h and 7 days): a healthy OA.
OA_QUALITY = "HIGH"

# Phones that exist in the fake Zalo but cannot receive ZNS, with the code Zalo answers.
UNREACHABLE_PHONES: dict[str, int] = {
    "84999000118": -118,
    "84999000119": -119,
    "84999000114": -114,
    "84999000108": -108,  # well-formed, but Zalo calls it invalid
}

# Development-mode sends per day before -126 (Zalo documents the code, not the number).
DEV_DAILY_QUOTA = 100
# Monthly promotion (tag 3) quota before -1441 (a first month's +10,000 bonus, §6).
MONTHLY_PROMOTION_QUOTA = 10_000

# Development-mode sends only reach administrators of the app or OA (zns-api.md §8).
ADMIN_PHONES: tuple[str, ...] = ("84987654321",)

# The templates declared for each ZNS Journey token type: a send under a token with a
# template not listed for its type gets -1491. The demo's shipping notices (100003 "order
# shipped", 100004 "delivered") are declared for the logistics types.
JOURNEY_TEMPLATES: dict[str, tuple[str, ...]] = {
    "token_logistics_7": ("100003", "100004"),
    "token_logistics_30": ("100003", "100004"),
}

RECEIPT_DELAY = 1.0
RECEIPT_RATIO = 1.0
WEBHOOK_RATIO = 1.0

# Short on purpose: the real schedule (+30 s, +5 min, ...) would outlive any demo or test run.
WEBHOOK_RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0)
WEBHOOK_POST_TIMEOUT = 5.0

# How long a "timeout" fault holds the connection before answering.
TIMEOUT_HOLD_SECONDS = 30.0

# eSMS.vn credentials and registered sender names of the sandbox's SMS mode
# (zns_notify.sandbox.sms); demo values like the Zalo ones above.
DEMO_ESMS_API_KEY = "demo-esms-api-key"
DEMO_ESMS_SECRET_KEY = "demo-esms-secret-key"
DEMO_BRANDNAMES: tuple[str, ...] = ("DemoShop",)
# Numbers eSMS answers 99 ("The phone number is blocked in the system").
SMS_BLOCKED_PHONES: tuple[str, ...] = ("84999000099",)
