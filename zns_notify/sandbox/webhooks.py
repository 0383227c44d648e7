"""Posts signed ``user_received_message`` receipts back to the app, like Zalo does, and
the other events on demand (``POST /_sandbox/events``: template status and quality, the
OA's daily quota, a customer's rating), signed and retried the same way.

When a send is accepted, the state decides (seeded RNG, ``receipt_ratio``) whether and when
(``receipt_delay``) the phone receives it. This dispatcher posts the receipt at that time.
The message counts as delivered in the sandbox at that time whatever happens to the post,
as at Zalo, where delivery and the webhook are separate.

Zalo retries failed posts for up to an hour (+30 s, +5 min, …); the sandbox retries after
1, 2 and 4 s by default so a demo or test sees the whole story in seconds.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from zns_notify.sandbox.defaults import WEBHOOK_POST_TIMEOUT, WEBHOOK_RETRY_DELAYS
from zns_notify.sandbox.records import SentMessage
from zns_notify.sandbox.state import SandboxState

logger = logging.getLogger(__name__)


def signature(app_id: str, raw_body: str, timestamp: str, oa_secret_key: str) -> str:
    """``X-ZEvent-Signature``: mac= + plain SHA-256 (not HMAC) of the four strings joined."""
    digest = hashlib.sha256(f"{app_id}{raw_body}{timestamp}{oa_secret_key}".encode()).hexdigest()
    return f"mac={digest}"


def receipt_body(app_id: str, oa_id: str, message: SentMessage, timestamp: str) -> str:
    """The raw JSON of zns-api.md example 10, in Zalo's key order."""
    payload = {
        "app_id": app_id,
        "event_name": "user_received_message",
        "sender": {"id": oa_id},
        "recipient": {"id": message.recipient},
        "message": {
            "delivery_time": str(message.receipt_time),
            "msg_id": message.msg_id,
            "tracking_id": message.tracking_id or "",
        },
        "timestamp": timestamp,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def event_body(app_id: str, payload: dict[str, Any], timestamp: str) -> str:
    """The raw JSON of any other event: app_id first, timestamp last, as Zalo's examples."""
    fields = {k: v for k, v in payload.items() if k not in ("app_id", "timestamp")}
    return json.dumps(
        {"app_id": app_id, **fields, "timestamp": timestamp},
        ensure_ascii=False,
        separators=(",", ":"),
    )


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    msg_id: str = field(compare=False)
    generation: int = field(compare=False)
    record: dict[str, Any] | None = field(default=None, compare=False)


class ReceiptDispatcher:
    """One scheduler thread plus a few posting threads, so a slow webhook delays no one."""

    def __init__(
        self,
        state: SandboxState,
        *,
        retry_delays: tuple[float, ...] = WEBHOOK_RETRY_DELAYS,
        post_timeout: float = WEBHOOK_POST_TIMEOUT,
        workers: int = 4,
    ) -> None:
        self.state = state
        self.retry_delays = tuple(retry_delays)
        self.post_timeout = post_timeout
        self._heap: list[_Job] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopping = False
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._local = threading.local()
        state.add_listener(self.schedule)
        state.event_poster = self.post_event

    def start(self) -> None:
        self._stopping = False
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="zns-sandbox-webhook")
        self._thread = threading.Thread(target=self._run, name="zns-sandbox-receipts", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def schedule(self, message: SentMessage) -> None:
        """State listener: queue the receipt of an accepted message, if it will have one."""
        if message.receipt_time is not None and message.webhook:
            self._push(message.receipt_time / 1000, message.msg_id, self.state.generation)

    def post_event(self, payload: dict[str, Any], delay: float = 0.0) -> dict[str, Any] | None:
        """Sign ``payload`` (an event without app_id/timestamp) and post it after ``delay``
        seconds, with the receipts' retries; return its webhook log record, or None when no
        webhook_url is configured (a knob may unset it after the caller looked)."""
        config = self.state.config
        if not config.webhook_url:
            return None
        # Stamped (and so signed) for when it is posted, as a receipt is, not for now.
        due = self.state.clock() + delay
        timestamp = str(payload.get("timestamp") or int(due * 1000))
        body = event_body(config.app_id, payload, timestamp)
        message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
        record = {
            "msg_id": str(message.get("msg_id") or ""),
            "tracking_id": message.get("tracking_id"),
            "url": config.webhook_url,
            "event_name": str(payload.get("event_name") or ""),
            "body": body,
            "signature": signature(config.app_id, body, timestamp, config.oa_secret_key),
            "status": "pending",
            "attempts": [],
        }
        self.state.webhook_log.add(record)
        self._push(due, record["msg_id"], self.state.generation, record)
        return record

    def _push(
        self, due: float, msg_id: str, generation: int, record: dict[str, Any] | None = None
    ) -> None:
        job = _Job(due, next(self._seq), msg_id, generation, record)
        with self._cond:
            heapq.heappush(self._heap, job)
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping:
                    wait = self._heap[0].due - self.state.clock() if self._heap else None
                    if wait is not None and wait <= 0:
                        break
                    self._cond.wait(timeout=wait)
                if self._stopping:
                    return
                job = heapq.heappop(self._heap)
            if job.generation == self.state.generation and self._pool is not None:
                self._pool.submit(self._deliver, job)

    def _deliver(self, job: _Job) -> None:
        try:
            record = job.record or self._new_record(job.msg_id)
            if record is not None:
                self._attempt(job, record)
        except Exception:  # the worker must survive anything; log and move on
            logger.exception("sandbox: receipt for %s failed unexpectedly", job.msg_id)

    def _new_record(self, msg_id: str) -> dict[str, Any] | None:
        config = self.state.config
        message = self.state.get_message(msg_id)
        if not config.webhook_url or message is None:
            return None  # no webhook configured: delivery still shows in the status API
        timestamp = str(self.state.now_ms())
        body = receipt_body(config.app_id, config.oa_id, message, timestamp)
        record = {
            "msg_id": msg_id,
            "tracking_id": message.tracking_id,
            "url": config.webhook_url,
            "event_name": "user_received_message",
            "delivery_time": str(message.receipt_time),
            "body": body,
            "signature": signature(config.app_id, body, timestamp, config.oa_secret_key),
            "status": "pending",
            "attempts": [],
        }
        self.state.webhook_log.add(record)
        return record

    def _attempt(self, job: _Job, record: dict[str, Any]) -> None:
        attempt: dict[str, Any] = {"at": self.state.now_ms()}
        try:
            response = self._session().post(
                record["url"],
                data=record["body"].encode("utf-8"),
                timeout=self.post_timeout,
                headers={
                    "Content-Type": "application/json",
                    "X-ZEvent-Signature": record["signature"],
                },
            )
            attempt["status_code"] = response.status_code
            ok = 200 <= response.status_code < 300
        except requests.RequestException as err:
            attempt["error"] = type(err).__name__
            ok = False
        retries_done = len(record["attempts"])
        with self.state.webhook_log.lock:
            record["attempts"].append(attempt)
            if ok:
                record["status"] = "delivered"
            elif retries_done < len(self.retry_delays):
                record["status"] = "retrying"
            else:
                record["status"] = "failed"
        if record["status"] == "retrying":
            delay = self.retry_delays[retries_done]
            self._push(self.state.clock() + delay, job.msg_id, job.generation, record)
        elif record["status"] == "failed":
            logger.warning(
                "sandbox: receipt for %s failed after %d attempts",
                job.msg_id,
                len(record["attempts"]),
            )

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session
