"""Records the sandbox keeps: Zalo reply envelopes, accepted messages, webhook outcomes."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from zns_notify.sandbox import codes


class Reply(NamedTuple):
    """A Zalo envelope: ``{"error", "message", "data"}``."""

    error: int
    message: str
    data: Any = None


def fail(code: int, message: str | None = None) -> Reply:
    return Reply(code, message or codes.message_for(code))


@dataclass
class SentMessage:
    msg_id: str
    recipient: str  # 84… phone, or the SHA-256 hex for /hashphone sends
    hashed: bool
    template_id: str
    data: dict[str, str]
    tracking_id: str | None
    mode: str  # "production" | "development"
    sent_time: int  # epoch ms
    receipt_time: int | None  # when the device "receives" it; None = never
    webhook: bool = True  # whether its receipt is posted (False: status API only)
    journey_id: str | None = None  # the ZNS Journey it was accepted under, if any

    def delivered_time(self, now_ms: int) -> int | None:
        if self.receipt_time is not None and now_ms >= self.receipt_time:
            return self.receipt_time
        return None

    def as_dict(self, now_ms: int) -> dict[str, Any]:
        delivered = self.delivered_time(now_ms)
        return {
            "msg_id": self.msg_id,
            "phone": self.recipient,
            "hash_phone": self.hashed,
            "template_id": self.template_id,
            "template_data": dict(self.data),
            "tracking_id": self.tracking_id,
            "mode": self.mode,
            "sent_time": str(self.sent_time),
            "delivered_time": str(delivered) if delivered else None,
            "status": "delivered" if delivered else "sent",
            "webhook": self.webhook,
            "journey_id": self.journey_id,
        }


@dataclass
class WebhookLog:
    """Outcomes of receipt posts, shown by GET /_sandbox/webhooks."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    records: list[dict[str, Any]] = field(default_factory=list)

    def add(self, record: dict[str, Any]) -> None:
        with self.lock:
            self.records.append(record)

    def snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return [{**r, "attempts": list(r["attempts"])} for r in self.records]

    def clear(self) -> None:
        with self.lock:
            self.records.clear()
