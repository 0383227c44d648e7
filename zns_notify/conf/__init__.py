"""Settings for zns_notify, read live from the ``ZNS_NOTIFY`` dict.

Every key is a property of :data:`app_settings` that reads ``django.conf.settings`` on each
access, so ``override_settings`` and pytest-django's ``settings`` fixture just work and
nothing is read at import time. The docstring of each property is its reference
documentation (mirrored in ``docs/settings.md``); turning a written value into a typed
one is :mod:`zns_notify.lib.setting_values`' job.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings

from zns_notify.conf.app_defaults import declared_defaults
from zns_notify.conf.journeys import JourneySettings
from zns_notify.conf.order import CORE_EVENTS as CORE_EVENTS  # where callers import it from
from zns_notify.conf.order import OrderSettings
from zns_notify.conf.otp import OtpSettings
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.lib import setting_values as parse

_MISSING = object()

#: ``RECIPIENT_DAILY_CAP``'s default by tag, 0: no cap (why these: docs/policy.md).
DEFAULT_RECIPIENT_DAILY_CAP = {"TRANSACTION": 0, "CUSTOMER_CARE": 5, "PROMOTION": 3}

#: Values of ``AMBIGUOUS_SENDS``.
AMBIGUOUS_POLICIES = ("verify", "retry", "fail")

#: Defaults of ``SEND_BATCH`` and ``SEND_CONCURRENCY``, chosen with bench/throughput.py
#: (docs/performance.md).
DEFAULT_SEND_BATCH = 64
DEFAULT_SEND_CONCURRENCY = 32


class AppSettings(OrderSettings, OtpSettings, JourneySettings):
    """Typed, documented view over ``settings.ZNS_NOTIFY``; the keys that say how to read
    the shop's orders are :class:`~zns_notify.conf.order.OrderSettings`', those of one-time
    codes :class:`~zns_notify.conf.otp.OtpSettings`', ZNS Journey's
    :class:`~zns_notify.conf.journeys.JourneySettings`'."""

    def _get(self, key: str, default: Any = _MISSING) -> Any:
        """The key's value; None (or "" for a required key) counts as unset. An unset key
        takes the value an installed adapter declares for it (:mod:`.app_defaults`), else
        ``default``."""
        values = getattr(settings, "ZNS_NOTIFY", None) or {}
        value = values.get(key)
        if value is None:
            value = declared_defaults().get(key)
        if value is None or (default is _MISSING and value == ""):
            if default is _MISSING:
                raise ZnsConfigurationError(f'Set ZNS_NOTIFY["{key}"] in your Django settings.')
            return default
        return value

    # -- Zalo connection -------------------------------------------------------------

    @property
    def API_BASE_URL(self) -> str:
        """Base URL of Zalo's ZNS API. Point it at the sandbox for local development."""
        return str(self._get("API_BASE_URL", "https://business.openapi.zalo.me")).rstrip("/")

    @property
    def OAUTH_BASE_URL(self) -> str:
        """Base URL of Zalo's OAuth v4 server (token refresh and code exchange)."""
        return str(self._get("OAUTH_BASE_URL", "https://oauth.zaloapp.com")).rstrip("/")

    @property
    def APP_ID(self) -> str:
        """Your Zalo app id (developers.zalo.me). Required."""
        return str(self._get("APP_ID"))

    @property
    def APP_SECRET(self) -> str:
        """Your Zalo app's secret key; sent as ``secret_key`` when refreshing tokens. Required."""
        return str(self._get("APP_SECRET"))

    @property
    def OA_SECRET_KEY(self) -> str:
        """The "OA Secret Key" from the app's webhook settings; verifies webhook signatures.

        It is not the app secret. Required to accept webhooks.
        """
        return str(self._get("OA_SECRET_KEY"))

    @property
    def OA_SECRET_KEYS(self) -> list[str]:
        """More OA Secret Keys a webhook signature may use, for rotation: put the new key in
        ``OA_SECRET_KEY`` and the old one here until Zalo signs with the new one only."""
        return parse.nonempty_strings(self._get("OA_SECRET_KEYS", []))

    @property
    def WEBHOOK_SECRET_KEYS(self) -> list[str]:
        """``OA_SECRET_KEY`` then ``OA_SECRET_KEYS``, empty ones dropped. Derived, not a key."""
        keys = [self._get("OA_SECRET_KEY", ""), *self.OA_SECRET_KEYS]
        return list(dict.fromkeys(parse.nonempty_strings(keys)))

    @property
    def WEBHOOK_MAX_AGE(self) -> int:
        """Seconds a webhook's signed ``timestamp`` may lie in the past (0 = no limit).

        The default, 3 hours, covers Zalo's retries (+30 s, +5 min, +15 min, +30 min, +1 h
        after a failed post: about 2 hours in all) plus clock skew; a redelivery keeps its
        original timestamp. Keep stored webhook events at least this long: they are what
        recognises a replay inside the window."""
        return int(self._get("WEBHOOK_MAX_AGE", 3 * 3600))

    @property
    def WEBHOOK_MAX_BODY(self) -> int:
        """Largest webhook body accepted, in bytes; larger ones get 413 unread."""
        return int(self._get("WEBHOOK_MAX_BODY", 64 * 1024))

    @property
    def DEVELOPMENT_MODE(self) -> bool:
        """Send with ``"mode": "development"`` (delivers only to the app's/OA's admins)."""
        return bool(self._get("DEVELOPMENT_MODE", False))

    @property
    def HASH_PHONE(self) -> bool:
        """Send to ``/message/template/hashphone`` with the SHA-256 of the normalized phone
        (``hash_phone``) instead of the number itself."""
        return bool(self._get("HASH_PHONE", False))

    @property
    def TIMEZONE(self) -> str:
        """Time zone of the date filters in bindings, and of Zalo's windows (the night ban
        ends at 06:00, daily quotas reset at midnight) when a send is rescheduled."""
        return str(self._get("TIMEZONE", "Asia/Ho_Chi_Minh"))

    @property
    def REQUEST_TIMEOUT(self) -> tuple[float, float]:
        """(connect, read) timeout in seconds for every call to Zalo."""
        return parse.seconds_pair(self._get("REQUEST_TIMEOUT", (3.05, 15.0)))

    # -- Delivery --------------------------------------------------------------------

    @property
    def MAX_ATTEMPTS(self) -> int:
        """How many times one message is tried before it is marked failed."""
        return int(self._get("MAX_ATTEMPTS", 5))

    @property
    def RETRY_BACKOFF(self) -> float:
        """Seconds before the first retry; doubles on each further attempt."""
        return float(self._get("RETRY_BACKOFF", 30.0))

    # -- Policy engine (zns_notify.policy.rules, docs/policy.md) ------------------------------

    @property
    def RECIPIENT_DAILY_CAP(self) -> dict[str, int]:
        """Messages per phone per local day (``TIMEZONE``) and template tag, 0: no cap.
        Default TRANSACTION 0, CUSTOMER_CARE 5, PROMOTION 3; a dict sets the tags it names
        (I041 names those it leaves to a default cap), one int every tag (W040 warns if
        TRANSACTION is capped). Read as ``{tag: n}``."""
        return parse.cap_by_tag(self._get("RECIPIENT_DAILY_CAP", None), DEFAULT_RECIPIENT_DAILY_CAP)

    def raw_recipient_daily_cap(self) -> Any:
        """RECIPIENT_DAILY_CAP as written (the shop's, else an adapter's; None: unset), for
        the check that says which tags a dict leaves to their defaults (I041)."""
        return self._get("RECIPIENT_DAILY_CAP", None)

    @property
    def RECIPIENT_CAP_ACTION(self) -> str:
        """What happens to a message over the cap: ``"skip"`` (the default: final, status
        skipped with the reason) or ``"defer"`` (waits for the next local day)."""
        value = str(self._get("RECIPIENT_CAP_ACTION", "skip"))
        if value not in ("skip", "defer"):
            raise parse.invalid("RECIPIENT_CAP_ACTION", 'must be "skip" or "defer".')
        return value

    @property
    def QUIET_HOURS(self) -> dict[str, tuple[str, str]]:
        """``{tag: ("HH:MM", "HH:MM")}``: messages of that tag due inside the local window
        wait until it ends (a window may cross midnight). Default: PROMOTION 22:00-06:00,
        Zalo's own night rule; add TRANSACTION or CUSTOMER_CARE to quiet them too."""
        return parse.windows_by_tag(self._get("QUIET_HOURS", {"PROMOTION": ("22:00", "06:00")}))

    @property
    def QUOTA_RESERVES(self) -> dict[str, int]:
        """``{tag: n}``: messages of that tag wait for the daily reset once the OA's
        remaining quota is at most ``n``, keeping the rest for more important tags.
        Default: CUSTOMER_CARE 20, PROMOTION 50 (TRANSACTION uses the quota to the end)."""
        return parse.counts_by_tag(
            self._get("QUOTA_RESERVES", {"CUSTOMER_CARE": 20, "PROMOTION": 50})
        )

    @property
    def OPT_OUT_TAGS(self) -> list[str]:
        """Template tags an opted-out recipient no longer gets (skipped with the reason)."""
        return [str(tag) for tag in self._get("OPT_OUT_TAGS", ["CUSTOMER_CARE", "PROMOTION"])]

    @property
    def RETRY_BACKOFF_MAX(self) -> float:
        """Longest wait between two tries, in seconds: the doubling stops here (the ±20%
        jitter still applies, so a backlog's retries do not hit Zalo together)."""
        return float(self._get("RETRY_BACKOFF_MAX", 3600.0))

    # -- Recovery (the sweeper, zns_notify.tasks.sweep) ----------------------------------

    @property
    def SEND_LEASE(self) -> float:
        """Seconds a worker's lease on its claimed messages lasts; it renews it every third
        of that while it works on them. Past it, a "sending" row is a dead worker's: queued
        again at once if its request never went out, else an ambiguous send. Keep it above
        1.5 × ``REQUEST_TIMEOUT`` (``zns_notify.W007``). SMS fallback steps (no renewal):
        the longer of this and ``Q_CLUSTER["timeout"]``."""
        return float(self._get("SEND_LEASE", 30.0))

    @property
    def LOST_TASK_AFTER(self) -> float:
        """Seconds a queued message may wait unclaimed (and with no retry time) before the
        sweeper re-enqueues it: its queue task was lost (Redis flushed, a worker killed
        after it pulled the task, an enqueue that never committed)."""
        return float(self._get("LOST_TASK_AFTER", 120.0))

    @property
    def AMBIGUOUS_SENDS(self) -> str:
        """What happens to a send whose outcome is unknown (a read timeout or reset after
        the request went out, HTTP 5xx, a worker that died while sending): Zalo may or may
        not have accepted it, and Zalo does not de-duplicate on ``tracking_id``.

        ``"verify"`` (default): wait ``AMBIGUOUS_GRACE`` seconds for a delivery receipt
        carrying the message's tracking_id; a receipt marks it delivered and nothing is
        sent again; without one it is sent again (the customer may get it twice).
        ``"retry"``: send again after the usual backoff (at-least-once). ``"fail"``: never
        send again (at-most-once); the message fails with the category ``ambiguous``.
        """
        value = self._get("AMBIGUOUS_SENDS", "verify")
        return parse.one_of("AMBIGUOUS_SENDS", value, AMBIGUOUS_POLICIES)

    @property
    def AMBIGUOUS_GRACE(self) -> float:
        """With ``AMBIGUOUS_SENDS = "verify"``: seconds to wait for the delivery receipt of
        a send with an unknown outcome before sending it again."""
        return float(self._get("AMBIGUOUS_GRACE", 600.0))

    @property
    def SEND_BATCH(self) -> int:
        """Most messages one send task takes on: the outbox broker relays this many per
        task, the sweeper puts this many keys in one task, and a task given fewer keys
        (one event's messages) tops itself up with other due messages, oldest first, up to
        this many (see ``SEND_TOP_UP``). At least 1."""
        return max(int(self._get("SEND_BATCH", DEFAULT_SEND_BATCH)), 1)

    @property
    def SEND_TOP_UP(self) -> bool:
        """Let a send task given fewer than ``SEND_BATCH`` keys take other due messages too.

        With django-q2's Redis or plain ORM broker each order event queues its own task, so
        a burst of orders is a burst of one-key tasks; topping up lets the first tasks send
        the burst concurrently, and the later ones find their message already sent (a
        cheap no-op). With zns_notify's outbox broker tasks are relayed full anyway."""
        return bool(self._get("SEND_TOP_UP", True))

    @property
    def SEND_CONCURRENCY(self) -> int:
        """Requests to Zalo one worker process keeps in flight. A task claims this many
        messages at a time, sends them from a thread pool of this size (one keep-alive
        connection per thread) and records their outcomes on its own thread, which is also
        the only one that touches the database. 1 sends one message at a time."""
        return max(int(self._get("SEND_CONCURRENCY", DEFAULT_SEND_CONCURRENCY)), 1)

    # -- Reconciliation (GET /message/status for sent messages without a receipt) ------

    @property
    def RECONCILE_AFTER(self) -> float:
        """Seconds after a send before the reconciler first asks Zalo about a message that
        has no receipt yet; each further check waits as long as the message is old (capped
        at an hour)."""
        return float(self._get("RECONCILE_AFTER", 300.0))

    @property
    def RECONCILE_BATCH(self) -> int:
        """At most this many status calls per reconciler run (0 turns reconciliation off)."""
        return int(self._get("RECONCILE_BATCH", 200))

    @property
    def RECONCILE_RATE(self) -> float:
        """At most this many status calls per second."""
        return float(self._get("RECONCILE_RATE", 5.0))

    @property
    def DELIVERY_TIMEOUT(self) -> float:
        """Seconds after the send without a receipt before a message counts as undelivered,
        for templates whose own ``timeout`` Zalo did not give (zns-api.md §7, §10)."""
        return float(self._get("DELIVERY_TIMEOUT", 7200.0))

    @property
    def QUEUE_CLUSTER(self) -> str | None:
        """django-q2 cluster (queue) name for zns_notify tasks; None = the default cluster."""
        return self._get("QUEUE_CLUSTER", None)

    # -- SMS (zns_notify.sms, docs/sms.md) ---------------------------------------------

    @property
    def SMS_PROVIDER(self) -> str | None:
        """The SMS provider: an alias (``"esms"``, ``"http"``, ``"console"``, ``"locmem"``)
        or the dotted path of an :class:`zns_notify.sms.SmsProvider` subclass. None (the
        default): no SMS channel."""
        value = self._get("SMS_PROVIDER", None)
        return str(value) if value else None

    @property
    def SMS_PROVIDER_OPTIONS(self) -> dict[str, Any]:
        """The provider's options (keys, sender name, URL…), as its documentation lists
        them; ``zns_notify.E021`` names any required one that is missing."""
        return parse.options("SMS_PROVIDER_OPTIONS", self._get("SMS_PROVIDER_OPTIONS", {}))

    @property
    def SMS_MAX_SEGMENTS(self) -> int:
        """Longest SMS allowed, in segments (each billed as one SMS); a longer text is
        refused with the count in the error. Default 3 (459 GSM-7 or 201 UCS-2 units)."""
        return parse.whole_number("SMS_MAX_SEGMENTS", self._get("SMS_MAX_SEGMENTS", 3), 1, 255)

    @property
    def SMS_STRIP_DIACRITICS(self) -> bool:
        """Send Vietnamese without diacritics (đ → d, ệ → e…) so a text stays in GSM-7:
        160 characters per SMS instead of 70. Default True."""
        return bool(self._get("SMS_STRIP_DIACRITICS", True))

    @property
    def SMS_COST_PER_SEGMENT(self) -> Decimal | None:
        """Price of one SMS segment in VND, for cost estimates and reports (your contract
        with the provider; brandname prices differ by carrier and message type). None
        (the default): costs are unknown."""
        return parse.price("SMS_COST_PER_SEGMENT", self._get("SMS_COST_PER_SEGMENT", None))

    # -- Reports (zns_notify.reports.rollup, docs/operators/reports.md) -------------------------

    @property
    def REPORTS_REFRESH_DAYS(self) -> int:
        """How many local days back the scheduled refresh of the reports looks for days
        whose messages are still in progress (queued, sending, or sent without a receipt),
        and recomputes them. Older days change only with ``zns_rebuild_reports``. At least 1."""
        return max(int(self._get("REPORTS_REFRESH_DAYS", 7)), 1)

    @property
    def REPORTS_MAX_DAYS(self) -> int:
        """The longest date range the reports page and its CSV accept, in days."""
        return max(int(self._get("REPORTS_MAX_DAYS", 366)), 1)

    # -- REST API (zns_notify.api, docs/api.md) ----------------------------------------

    @property
    def API_AUTHENTICATION_CLASSES(self) -> list[str] | None:
        """Dotted paths of the DRF authentication classes of the API under ``/zns/api/``.

        None (the default): token authentication when ``rest_framework.authtoken`` is
        installed, then session authentication. The host's ``REST_FRAMEWORK`` defaults are
        not used: the API's access rules do not change when the host's do.
        """
        value = self._get("API_AUTHENTICATION_CLASSES", None)
        return None if value is None else [str(path) for path in value]

    @property
    def API_PERMISSION_CLASSES(self) -> list[str]:
        """Dotted paths of the DRF permission classes of the API. The default asks for a
        staff user holding the model permission the admin would ask for (view a message,
        a template, a binding; add a message to report an event)."""
        return [
            str(path)
            for path in self._get(
                "API_PERMISSION_CLASSES",
                [
                    "rest_framework.permissions.IsAdminUser",
                    "zns_notify.api.permissions.HasModelPermissions",
                ],
            )
        ]

    @property
    def API_PAGE_SIZE(self) -> int:
        """Items per page of the API's lists; ``?page_size=`` asks for up to 500."""
        return int(self._get("API_PAGE_SIZE", 50))

    @property
    def API_EVENTS_THROTTLE_RATE(self) -> str | None:
        """Rate limit of ``POST /zns/api/events/`` per user (per address when anonymous),
        as DRF writes rates: ``"120/minute"``, ``"10/second"``. Counted in Django's default
        cache. None (or "") turns throttling off."""
        values = getattr(settings, "ZNS_NOTIFY", None) or {}
        value = values.get("API_EVENTS_THROTTLE_RATE", "120/minute")
        return str(value) if value else None

    @property
    def API_OTP_THROTTLE_RATE(self) -> str | None:
        """Rate limit of ``POST /zns/api/otp/request/`` and ``/zns/api/otp/verify/`` together,
        per user and the body's ``client_ip`` (per user alone without one), in DRF's notation,
        counted in Django's default cache; None (or "") turns it off. The codes' own limits
        (``OTP_LIMIT_*``, ``OTP_MAX_TRIES``) apply in any case."""
        values = getattr(settings, "ZNS_NOTIFY", None) or {}
        value = values.get("API_OTP_THROTTLE_RATE", "60/minute")
        return str(value) if value else None


app_settings = AppSettings()
