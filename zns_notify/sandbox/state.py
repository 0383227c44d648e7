"""In-memory state of the fake Zalo: messages, quota, receipts, tokens, faults.

Pure logic, no HTTP: handlers parse requests and call in here, and tests can drive it
directly. One lock guards messages and quota; tokens and faults have their own.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from zns_notify.sandbox import codes
from zns_notify.sandbox.catalogue import STATUSES, Template, demo_templates
from zns_notify.sandbox.config import SandboxConfig
from zns_notify.sandbox.faults import FaultInjector
from zns_notify.sandbox.journeys import JourneyBook, JourneyToken, event_payload
from zns_notify.sandbox.records import Reply, SentMessage, WebhookLog, fail
from zns_notify.sandbox.sms import SmsInbox
from zns_notify.sandbox.tokens import TokenStore
from zns_notify.sandbox.validation import (
    check_template_data,
    hash_phone,
    normalize_hash,
    normalize_phone,
)

logger = logging.getLogger(__name__)

# Vietnam has no DST; quota days roll over at local midnight.
VN_TZ = timezone(timedelta(hours=7))
TRACKING_ID_MAX = 48  # SPEC2: tracking_id max 48 characters


@dataclass
class _Quota:
    remaining: int
    day: str
    promotion_today: int = 0
    promotion_month: int = 0
    month: str = ""
    dev_today: int = 0  # development-mode sends today (they have their own quota, -126)


class SandboxState:
    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        access_token_ttl: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config or SandboxConfig()
        self.clock = clock
        self.tokens = TokenStore(
            app_id=self.config.app_id,
            app_secret=self.config.app_secret,
            oa_id=self.config.oa_id,
            clock=clock,
        )
        if access_token_ttl is not None:
            self.tokens.access_token_ttl = access_token_ttl
        self.faults = FaultInjector(seed=self.config.seed)
        self.webhook_log = WebhookLog()
        self.sms = SmsInbox(clock)
        self.journeys = JourneyBook(self.now_ms)
        self.templates: dict[str, Template] = demo_templates()
        self.generation = 0  # bumped by reset(), so pending receipts of old messages drop
        self._lock = threading.RLock()
        self._listeners: list[Callable[[SentMessage], None]] = []
        # Set by the webhook dispatcher: signs and posts one event (POST /_sandbox/events).
        self.event_poster: Callable[..., dict[str, Any] | None] | None = None
        self._clear()

    def _clear(self) -> None:
        self._messages: dict[str, SentMessage] = {}
        self._tracking: Counter[str] = Counter()
        # tracking_id -> when its first accepted send arrived: latency benchmarks measure
        # a request to "on the wire" with it (bench/otp_latency.py).
        self._first_seen: dict[str, float] = {}
        today = self._today()
        self._quota = _Quota(remaining=self.config.daily_quota, day=today, month=today[:7])
        # Seeded per purpose, so receipt draws don't shift when fault draws change.
        seed = self.config.seed
        self._receipt_rng = random.Random(f"receipts-{seed}" if seed is not None else None)
        self._webhook_rng = random.Random(f"webhooks-{seed}" if seed is not None else None)

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def _today(self) -> str:
        return datetime.fromtimestamp(self.clock(), VN_TZ).date().isoformat()

    def _roll_quota(self) -> None:
        # Caller holds the lock. A new local day restores the daily quota.
        today = self._today()
        if today != self._quota.day:
            self._quota.day, self._quota.remaining = today, self.config.daily_quota
            self._quota.promotion_today = self._quota.dev_today = 0
            if today[:7] != self._quota.month:
                self._quota.month, self._quota.promotion_month = today[:7], 0

    def add_listener(self, listener: Callable[[SentMessage], None]) -> None:
        """Call ``listener(message)`` after each accepted send (the webhook dispatcher)."""
        self._listeners.append(listener)

    # -- POST /message/template[/hashphone] ----------------------------------------------
    def send(
        self,
        body: dict[str, Any],
        *,
        hashed: bool = False,
        arrived: float | None = None,
        journey_token: str | None = None,
    ) -> Reply:
        """Validate and accept one send, in Zalo's order (zns-api.md §12). ``arrived``:
        when the server read the request (default: now), for ``first_seen``;
        ``journey_token``: the send's ``journey_token`` header, if it has one."""
        checked = self._check_payload(body, hashed)
        if isinstance(checked, Reply):
            return checked
        recipient, template, data, tracking_id = checked
        dev = body.get("mode") == "development"
        journey: JourneyToken | None = None
        billed = False
        with self._lock:
            refusal = self._journey_refusal(journey_token, recipient, template)
            refusal = refusal or self._refusal(recipient, template, dev)
            if refusal:
                return refusal
            message = self._accept(recipient, hashed, template, data, tracking_id, dev)
            recorded = None
            if journey_token is not None and not dev:  # dev sends are free (zns-api.md §8)
                recorded = self.journeys.record(journey_token, message)
            if recorded is not None:
                journey, billed = recorded
                message.journey_id = journey.journey_id
            if tracking_id is not None:
                self._first_seen.setdefault(
                    tracking_id, self.clock() if arrived is None else arrived
                )
            reply = self._success(message, dev)
        for listener in self._listeners:
            listener(message)
        if journey is not None and billed:
            # Posted with the receipts' delay: Zalo acknowledges once the message is out.
            delay = self.config.receipt_delay
            self.post_journey_event(journey, "event_journey_acknowledged", delay)
        return reply

    def _journey_refusal(
        self, token: str | None, recipient: str, template: Template
    ) -> Reply | None:
        if token is None:
            return None
        return self.journeys.refusal(
            token,
            recipient=recipient,
            template_id=template.template_id,
            oa_id=self.config.oa_id,
            declared=self.config.journey_templates,
        )

    # -- ZNS Journey (sandbox/journeys.py; get-token in handlers/journey.py) -------------
    def expire_journey(self, journey_id: str) -> tuple[JourneyToken, dict[str, Any] | None]:
        """End a journey now and post its ``event_journey_time_out`` (once); KeyError if
        unknown. Returns the journey and the webhook record (None if none was posted)."""
        with self._lock:  # lock order state -> journeys; a send in flight finishes first
            journey, first = self.journeys.expire(journey_id)
        record = self.post_journey_event(journey, "event_journey_time_out") if first else None
        return journey, record

    def post_journey_event(
        self, journey: JourneyToken, event_name: str, delay: float = 0.0
    ) -> dict[str, Any] | None:
        """Sign and post a journey webhook, if this sandbox posts webhooks at all."""
        if self.event_poster is None or not self.config.webhook_url:
            return None
        return self.event_poster(event_payload(journey, event_name), delay)

    def _check_payload(
        self,
        body: dict[str, Any],
        hashed: bool,
    ) -> Reply | tuple[str, Template, dict[str, str], str | None]:
        """Checks that depend only on the request: phone, template, params, options."""
        if hashed:
            recipient = normalize_hash(body.get("hash_phone"))
        else:
            recipient = normalize_phone(body.get("phone"))
        if recipient is None:
            return fail(codes.PHONE_INVALID)
        template = self.templates.get(str(body.get("template_id") or ""))
        if template is None:
            return fail(codes.TEMPLATE_ID_INVALID)
        if template.status != "ENABLE":
            return fail(codes.TEMPLATE_NOT_APPROVED)
        data, problem = check_template_data(template, body.get("template_data"))
        if problem:
            return fail(*problem)
        tracking_id = body.get("tracking_id")
        if tracking_id is not None:
            tracking_id = str(tracking_id)
            if len(tracking_id) > TRACKING_ID_MAX:
                return fail(
                    codes.PARAMETER_INVALID,
                    f"tracking_id is longer than {TRACKING_ID_MAX} characters",
                )
        if body.get("sending_mode") not in (None, "1", 1):
            return fail(codes.SENDING_MODE_INVALID)
        return recipient, template, data, tracking_id

    def _refusal(self, recipient: str, template: Template, dev: bool) -> Reply | None:
        # Caller holds the lock. Checks about the OA and the recipient, after the payload's.
        self._roll_quota()
        if not dev and self._quota.remaining <= 0:
            return fail(codes.DAILY_QUOTA_EXCEEDED)
        if dev and self._quota.dev_today >= self.config.dev_daily_quota:
            return fail(codes.DEV_MODE_QUOTA_EXCEEDED)
        if template.tag == "PROMOTION":
            if self._at_night():
                return fail(codes.NIGHT_BAN)
            if not dev and self._quota.promotion_month >= self.config.monthly_promotion_quota:
                return fail(codes.MONTHLY_PROMOTION_QUOTA_EXCEEDED)
        unreachable = self.config.unreachable_phones
        code = unreachable.get(recipient) or next(
            (c for p, c in unreachable.items() if hash_phone(p) == recipient), None
        )
        if code:
            return fail(code)
        admins = self.config.admin_phones
        if dev and recipient not in admins and recipient not in map(hash_phone, admins):
            return fail(codes.DEV_MODE_NOT_ADMIN)
        # Forced errors only hit sends that would otherwise succeed.
        forced = self.faults.forced_error(recipient, template.template_id)
        return fail(forced) if forced else None

    def _at_night(self) -> bool:
        """Inside the configured night window (Vietnam time), if any."""
        window = self.config.night_window
        if window is None:
            return False
        hour = datetime.fromtimestamp(self.clock(), VN_TZ).hour
        start, end = window
        return start <= hour < end if start < end else (hour >= start or hour < end)

    def _accept(
        self,
        recipient: str,
        hashed: bool,
        template: Template,
        data: dict[str, str],
        tracking_id: str | None,
        dev: bool,
    ) -> SentMessage:
        now = self.now_ms()
        receipt = None
        if self._receipt_rng.random() < self.config.receipt_ratio:
            receipt = now + int(self.config.receipt_delay * 1000)
        webhook = self._webhook_rng.random() < self.config.webhook_ratio
        message = SentMessage(
            msg_id=secrets.token_hex(10),
            recipient=recipient,
            hashed=hashed,
            template_id=template.template_id,
            data=data,
            tracking_id=tracking_id,
            mode="development" if dev else "production",
            sent_time=now,
            receipt_time=receipt,
            webhook=webhook,
        )
        self._messages[message.msg_id] = message
        if tracking_id is not None:
            self._tracking[tracking_id] += 1
        if dev:
            self._quota.dev_today += 1
        else:
            self._quota.remaining -= 1
            if template.tag == "PROMOTION":
                self._quota.promotion_today += 1
                self._quota.promotion_month += 1
        logger.debug(
            "sandbox: accepted %s to …%s (template %s)",
            message.msg_id,
            recipient[-3:],
            template.template_id,
        )
        return message

    def _success(self, message: SentMessage, dev: bool) -> Reply:
        data: dict[str, Any] = {"msg_id": message.msg_id, "sent_time": str(message.sent_time)}
        if not dev:  # dev-mode answers carry only msg_id + sent_time (apis/zns/2.yml)
            data["sending_mode"] = "1"
            data["quota"] = {
                "dailyQuota": str(self.config.daily_quota),
                "remainingQuota": str(self._quota.remaining),
            }
        return Reply(codes.SUCCESS, "Success", data)

    # -- GET /message/status, GET /message/quota -----------------------------------------
    def status(self, message_id: str | None, phone: str | None = None) -> Reply:
        if not message_id:
            return fail(codes.MESSAGE_ID_INVALID)
        with self._lock:
            message = self._messages.get(message_id)
        if phone is not None:
            wanted = normalize_phone(phone) or normalize_hash(phone)
            if wanted is None:
                return fail(codes.PHONE_INVALID)
            if message is not None and message.recipient != wanted:
                message = None
        if message is None:
            return Reply(0, "Success", {"status": -1, "message": "The message does not exist"})
        delivered = message.delivered_time(self.now_ms())
        if delivered is None:
            return Reply(
                0,
                "Success",
                {
                    "status": 0,
                    "message": (
                        "The message was sent but has not been delivered to the user's phone"
                    ),
                },
            )
        return Reply(
            0,
            "Success",
            {
                "delivery_time": str(delivered),
                "status": 1,
                "message": "The message was delivered to the user's phone",
            },
        )

    def quota(self) -> dict[str, Any]:
        """GET /message/quota data (example 8, with its mix of strings and numbers)."""
        with self._lock:
            self._roll_quota()
            daily, q = self.config.daily_quota, self._quota
            # Promotion: 25% of the daily quota per day; a flat monthly allowance.
            promo_daily, promo_monthly = daily // 4, self.config.monthly_promotion_quota
            return {
                "dailyQuota": str(daily),
                "remainingQuota": str(q.remaining),
                "dailyQuotaPromotion": str(promo_daily),
                "remainingQuotaPromotion": str(max(0, promo_daily - q.promotion_today)),
                "monthlyPromotionQuota": promo_monthly,
                "remainingMonthlyPromotionQuota": max(0, promo_monthly - q.promotion_month),
                "estimatedNextMonthPromotionQuota": promo_monthly,
            }

    # -- inspection and knobs ------------------------------------------------------------
    def sent_messages(self, recipient: str | None = None) -> list[SentMessage]:
        """Accepted messages in send order, optionally for one normalized recipient."""
        with self._lock:
            found = list(self._messages.values())
        return [m for m in found if recipient is None or m.recipient == recipient]

    def messages(
        self,
        phone: str | None = None,
        tracking_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """GET /_sandbox/messages rows; ``phone`` may be in any accepted form or a hash."""
        wanted = (normalize_phone(phone) or normalize_hash(phone) or phone) if phone else None
        now = self.now_ms()
        return [
            m.as_dict(now)
            for m in self.sent_messages(wanted)
            if tracking_id is None or m.tracking_id == tracking_id
        ]

    def send_sms(self, body: dict[str, Any]) -> dict[str, Any]:
        """eSMS's answer to a send request (sandbox/sms.py)."""
        return self.sms.send(body, config=self.config, forced_error=self.faults.forced_sms_error)

    def get_message(self, msg_id: str) -> SentMessage | None:
        with self._lock:
            return self._messages.get(msg_id)

    def tracking(self) -> dict[str, Any]:
        """Accepted sends per tracking_id, how many tracking_ids repeat, and when each
        one's first accepted send arrived (``first_seen``, epoch seconds, before any
        latency fault: the instant it was on the wire)."""
        with self._lock:
            counts, first_seen = dict(self._tracking), dict(self._first_seen)
        return {
            "counts": counts,
            "duplicates": sum(1 for n in counts.values() if n > 1),
            "first_seen": first_seen,
        }

    def update_config(self, changes: dict[str, Any]) -> SandboxConfig:
        """Apply runtime knobs; ``remaining_quota`` and ``access_token_ttl`` live elsewhere."""
        changes = dict(changes)
        remaining = changes.pop("remaining_quota", None)
        ttl = changes.pop("access_token_ttl", None)
        for name, value in (("remaining_quota", remaining), ("access_token_ttl", ttl)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise ValueError(f"{name} must be a non-negative integer")
        with self._lock:
            old = self.config
            self.config = old.updated(changes)
            self._roll_quota()
            self._quota.remaining = max(
                0, self._quota.remaining + self.config.daily_quota - old.daily_quota
            )
            if remaining is not None:
                self._quota.remaining = remaining
        if ttl is not None:
            self.tokens.access_token_ttl = ttl
        return self.config

    def set_template_status(self, template_id: str, status: str) -> Template:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(sorted(STATUSES))}")
        with self._lock:
            if template_id not in self.templates:
                raise KeyError(template_id)
            self.templates[template_id] = self.templates[template_id].with_status(status)
            return self.templates[template_id]

    def reset(self, *, tokens: bool = False) -> None:
        """Forget messages, quota use, faults and webhook outcomes (tokens only if asked)."""
        with self._lock:
            self.generation += 1
            self._clear()
            self.templates = demo_templates()
            self.journeys.clear()  # inside: a send sees its journey whole or not at all
        self.faults.clear()
        self.webhook_log.clear()
        self.sms.clear()
        if tokens:
            self.tokens.clear()
