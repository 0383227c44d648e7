"""eSMS.vn (ViHAT) brandname SMS: ``SendMultipleMessage_V4_post_json``.

Implemented from eSMS's public developer documentation (read 2026-11):

- "Send OTP/Customer care message",
  https://developers.esms.vn/en/esms-api/send-sms-api/send-otp-customer-care-message —
  ``POST https://rest.esms.vn/MainService.svc/json/SendMultipleMessage_V4_post_json/``
  with a JSON body of strings: ``ApiKey``, ``SecretKey``, ``Phone``, ``Content``,
  ``Brandname`` (registered sender name), ``SmsType`` ("2": customer care),
  ``IsUnicode`` ("1"/"0"), ``Sandbox`` ("1": validated but neither sent nor charged),
  ``RequestId`` ("to prevent the request from being duplicated"), ``CallbackUrl``,
  ``campaignid``, ``SendDate``.
- The answers it documents: ``{"CodeResult": "100", "CountRegenerate": 0, "SMSID":
  "d533459ee42b2b9525ba9eabf6a8156"}`` and ``{"CodeResult": "101", "CountRegenerate": 0,
  "ErrorMessage": "Authorize Failed"}`` (tests/sms/fixtures/esms_*.json).
- "Table of error codes", https://developers.esms.vn/en/esms-api/table-of-error-codes —
  :data:`CODES` below. 100 only means eSMS took the request, not that the phone got it.

eSMS answers its errors with HTTP 200 and a ``CodeResult``; only 100 is success, and 124
("Duplicate RequestId") means a request with this reference was taken before, which is
what makes a retry with the same ``RequestId`` safe (``idempotent``).
"""

from __future__ import annotations

from typing import Any

from zns_notify.sms.providers import transport
from zns_notify.sms.providers.base import SmsProvider, option_key
from zns_notify.sms.results import SmsErrorKind, SmsResult
from zns_notify.sms.segments import SegmentCount

DEFAULT_BASE_URL = "https://rest.esms.vn"
SEND_PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
ACCEPTED, DUPLICATE_REQUEST = "100", "124"
CUSTOMER_CARE, FIXED_NUMBER = "2", "8"

R, P, C = SmsErrorKind.RETRYABLE, SmsErrorKind.PERMANENT, SmsErrorKind.CONFIGURATION
#: CodeResult -> (kind, meaning), from eSMS's table of error codes (send-related rows).
CODES: dict[str, tuple[SmsErrorKind, str]] = {
    "99": (P, "The phone number is blocked in the system"),
    "101": (C, "Incorrect ApiKey or SecretKey"),
    "102": (C, "No price list available"),
    "103": (C, "Not enough balance to send message"),
    "104": (C, "Brandname does not exist"),
    "108": (P, "Phone number is not in correct format"),
    "110": (P, "The requested data is incorrect"),
    "118": (C, "Unsupported message type"),
    "140": (C, "IP is not whitelisted for sending messages"),
    "146": (P, "Wrong customer care template"),
    "177": (P, "The network is not registered"),  # brandname not open on this carrier
    "300": (C, "Missing message type"),
    "301": (C, "Code of unsupported service"),
}


def local_number(phone: str) -> str:
    """``0…`` as in eSMS's examples, from the ``84…`` form."""
    return "0" + phone[2:]


class EsmsProvider(SmsProvider):
    """Options: ``api_key``, ``secret_key``, ``brandname`` (required for customer care
    messages), ``sms_type`` ("2", or "8" for eSMS's fixed-number line without brandname),
    ``sandbox`` (eSMS validates without sending or charging), ``callback_url``,
    ``campaign``, ``base_url`` (point it at the zns_notify sandbox), ``timeout``."""

    alias = "esms"
    idempotent = True
    required_options = ("api_key", "secret_key")

    @classmethod
    def option_problems(cls, options: dict[str, Any]) -> list[str]:
        problems = super().option_problems(options)
        sms_type = str(options.get("sms_type", CUSTOMER_CARE))
        if sms_type not in (CUSTOMER_CARE, FIXED_NUMBER):
            problems.append(
                f'{option_key("sms_type")} must be "2" (customer care, '
                f'with brandname) or "8" (fixed number); it is {sms_type!r}.'
            )
        elif sms_type == CUSTOMER_CARE and not options.get("brandname"):
            problems.append(
                f"{option_key('brandname')} is required by the esms SMS "
                "provider: the sender name registered with eSMS."
            )
        return problems

    @property
    def url(self) -> str:
        return str(self.options.get("base_url") or DEFAULT_BASE_URL).rstrip("/") + SEND_PATH

    def payload(
        self, phone: str, text: str, *, reference: str, count: SegmentCount
    ) -> dict[str, str]:
        """The request body; every value a string, as eSMS's examples write them."""
        options = self.options
        sms_type = str(options.get("sms_type", CUSTOMER_CARE))
        body = {
            "ApiKey": str(options["api_key"]),
            "SecretKey": str(options["secret_key"]),
            "Phone": local_number(phone),
            "Content": text,
            "SmsType": sms_type,
            "IsUnicode": "1" if count.is_unicode else "0",
            "Sandbox": "1" if options.get("sandbox") else "0",
            "RequestId": reference,
        }
        if sms_type == CUSTOMER_CARE:
            body["Brandname"] = str(options["brandname"])
        if options.get("callback_url"):
            body["CallbackUrl"] = str(options["callback_url"])
        if options.get("campaign"):
            body["campaignid"] = str(options["campaign"])
        return body

    def _send(self, phone: str, text: str, *, reference: str, count: SegmentCount) -> SmsResult:
        body = self.payload(phone, text, reference=reference, count=count)
        try:
            response = transport.request(self, "POST", self.url, json=body)
            answer = transport.json_answer(self, response)
        except transport.Failure as failure:
            return self._result(reference, **failure.fields)
        return self.parse(answer, reference=reference)

    def parse(self, answer: Any, *, reference: str) -> SmsResult:
        """The result for eSMS's JSON answer."""
        if not isinstance(answer, dict) or answer.get("CodeResult") in (None, ""):
            # Not an eSMS answer (a proxy, a maintenance page): it may have gone through.
            return self._result(
                reference,
                accepted=False,
                error_kind=R,
                ambiguous=True,
                error_message="eSMS answered without a CodeResult",
                raw=answer,
            )
        code = str(answer["CodeResult"])
        message_id = str(answer.get("SMSID") or "")
        if code == ACCEPTED:
            return self._result(reference, accepted=True, message_id=message_id, raw=answer)
        if code == DUPLICATE_REQUEST:
            return self._result(
                reference,
                accepted=True,
                duplicate=True,
                message_id=message_id,
                error_code=code,
                raw=answer,
            )
        # Unknown codes are retried a bounded number of times, as for ZNS: safer than
        # dropping a message over a code eSMS added after this table.
        kind, meaning = CODES.get(code, (R, "Unknown eSMS error"))
        return self._result(
            reference,
            accepted=False,
            error_kind=kind,
            error_code=code,
            error_message=str(answer.get("ErrorMessage") or meaning),
            raw=answer,
        )
