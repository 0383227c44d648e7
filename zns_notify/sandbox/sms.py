"""The sandbox's SMS mode: eSMS.vn's ``SendMultipleMessage_V4_post_json``, recorded.

Speaks the API that ``zns_notify.sms.providers.esms`` calls (same path, body and
answers; see that module for the documentation it follows): point the provider's
``base_url`` at the sandbox. Requests are checked in the order eSMS documents its codes
— keys (101), message type (300/118), brandname (104), phone format (108), blocked
phone (99), content (110), then a repeated ``RequestId`` (124) — and an accepted one is
recorded, to be seen on ``/_sandbox/sms`` and on the phone page.

Faults: ``sms_down`` answers HTTP 503 without recording; ``sms_error_code`` (with
``sms_error_rate``) refuses sends that would otherwise succeed; the transport knobs
(``timeout_rate``, ``http_500_rate``, ``reset_rate``, ``latency_ms``, limited to SMS with
``"paths": ["/MainService.svc"]``) work as for ZNS — a timeout records the SMS, then
answers too late.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from zns_notify.sandbox.validation import normalize_phone

SEND_PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json"
ACCEPTED = "100"
SMS_TYPES = ("2", "8")  # customer care with brandname; fixed number without

#: The codes the sandbox answers, with eSMS's documented meaning.
MESSAGES = {
    "99": "The phone number is blocked in the system",
    "101": "Authorize Failed",
    "102": "No price list available",
    "103": "Not enough balance to send message",
    "104": "Brandname does not exist",
    "108": "Phone number is not in correct format",
    "110": "The requested data is incorrect",
    "118": "Unsupported message type",
    "124": "Duplicate RequestId",
    "140": "IP is not whitelisted for sending messages",
    "146": "Wrong customer care template",
    "177": "The network is not registered",
    "300": "Missing message type",
}


@dataclass(frozen=True)
class SmsRecord:
    sms_id: str
    phone: str  # 84…
    content: str
    sms_type: str
    brandname: str
    is_unicode: bool
    sandbox: bool  # eSMS's own test flag: validated, neither sent nor charged
    request_id: str
    campaign: str
    callback_url: str
    received_time: int  # epoch ms

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def error(code: str) -> dict[str, Any]:
    return {"CodeResult": code, "CountRegenerate": 0, "ErrorMessage": MESSAGES[code]}


class SmsInbox:
    """Accepted SMS and the RequestIds seen, under one lock."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._records: list[SmsRecord] = []
        self._by_request: dict[str, SmsRecord] = {}

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._by_request.clear()

    def records(self, phone: str | None = None) -> list[SmsRecord]:
        with self._lock:
            found = list(self._records)
        return [r for r in found if phone is None or r.phone == phone]

    def send(
        self, body: dict[str, Any], *, config: Any, forced_error: Callable[[], str | None]
    ) -> dict[str, Any]:
        """eSMS's answer to one send request body (a JSON object)."""
        fields = {key: "" if value is None else str(value) for key, value in body.items()}
        problem = self._problem(fields, config)
        if problem:
            return error(problem)
        request_id = fields.get("RequestId", "")
        with self._lock:
            earlier = self._by_request.get(request_id) if request_id else None
        if earlier is not None:
            return {**error("124"), "SMSID": earlier.sms_id}
        forced = forced_error()
        if forced:
            return error(forced)
        return self._accept(fields)

    @staticmethod
    def _problem(fields: dict[str, str], config: Any) -> str | None:
        # ApiKey is documented as "ApiKey" in JSON and "Apikey" in the form variant.
        api_key = fields.get("ApiKey") or fields.get("Apikey") or ""
        if not (
            secrets.compare_digest(api_key.encode(), config.esms_api_key.encode())
            and secrets.compare_digest(
                fields.get("SecretKey", "").encode(), config.esms_secret_key.encode()
            )
        ):
            return "101"
        sms_type = fields.get("SmsType", "")
        if not sms_type:
            return "300"
        if sms_type not in SMS_TYPES:
            return "118"
        if sms_type == "2" and fields.get("Brandname", "") not in config.esms_brandnames:
            return "104"
        phone = normalize_phone(fields.get("Phone", ""))
        if phone is None:
            return "108"
        if phone in config.sms_blocked_phones:
            return "99"
        if not fields.get("Content", "").strip():
            return "110"
        return None

    def _accept(self, fields: dict[str, str]) -> dict[str, Any]:
        record = SmsRecord(
            sms_id=secrets.token_hex(16)[:31],  # eSMS's documented SMSID has 31 hex digits
            phone=normalize_phone(fields["Phone"]) or "",
            content=fields["Content"],
            sms_type=fields["SmsType"],
            brandname=fields.get("Brandname", ""),
            is_unicode=fields.get("IsUnicode") == "1",
            sandbox=fields.get("Sandbox") == "1",
            request_id=fields.get("RequestId", ""),
            campaign=fields.get("campaignid", ""),
            callback_url=fields.get("CallbackUrl", ""),
            received_time=int(self.clock() * 1000),
        )
        with self._lock:
            if record.request_id and record.request_id in self._by_request:
                # Two concurrent requests with one RequestId: the second is the duplicate.
                return {**error("124"), "SMSID": self._by_request[record.request_id].sms_id}
            self._records.append(record)
            if record.request_id:
                self._by_request[record.request_id] = record
        return {"CodeResult": ACCEPTED, "CountRegenerate": 0, "SMSID": record.sms_id}
