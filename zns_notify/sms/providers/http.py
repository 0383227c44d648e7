"""A provider configured entirely by settings, for any HTTP SMS gateway.

    "SMS_PROVIDER": "http",
    "SMS_PROVIDER_OPTIONS": {
        "url": "https://sms.example.vn/api/send",
        "method": "POST",                       # or GET, PUT
        "headers": {"Authorization": "Bearer …"},
        "body_format": "json",                  # or "form", "query"
        "body": {"to": "{phone}", "message": "{text}", "client_ref": "{reference}",
                 "unicode": "{unicode}"},
        "success_field": "status",              # dotted path in the JSON answer
        "success_values": ["ok"],               # without success_field: any HTTP 2xx
        "message_id_field": "data.id",
        "error_code_field": "error.code",
        "error_message_field": "error.message",
        "duplicate_values": ["DUPLICATE"],      # codes meaning "this reference was sent"
        "retryable_codes": ["BUSY"],            # other error codes are permanent…
        "configuration_codes": ["AUTH_FAILED"], # …unless listed here
        "idempotent": True,                     # the gateway de-duplicates on reference
        "timeout": 10,
    }

Placeholders (in header values and body values, replaced whole-value-safe, never
evaluated): {phone} (84…), {phone_local} (0…), {phone_e164} (+84…), {text},
{reference}, {encoding} (GSM-7/UCS-2), {unicode} (1/0), {segments}.
"""

from __future__ import annotations

import re
from typing import Any

from zns_notify.sms.providers import transport
from zns_notify.sms.providers.base import SmsProvider, option_key
from zns_notify.sms.results import SmsErrorKind, SmsResult
from zns_notify.sms.segments import SegmentCount

PLACEHOLDER = re.compile(r"\{(\w+)\}")
PLACEHOLDERS = (
    "phone",
    "phone_local",
    "phone_e164",
    "text",
    "reference",
    "encoding",
    "unicode",
    "segments",
)
BODY_FORMATS = ("json", "form", "query")
METHODS = ("GET", "POST", "PUT")


def fill(template: Any, values: dict[str, str]) -> Any:
    """``template`` with every ``{name}`` in its strings replaced, recursively."""
    if isinstance(template, str):
        return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    return template


def unknown_placeholders(template: Any) -> set[str]:
    if isinstance(template, str):
        return {name for name in PLACEHOLDER.findall(template) if name not in PLACEHOLDERS}
    values = (
        template.values()
        if isinstance(template, dict)
        else (template if isinstance(template, list) else [])
    )
    return set().union(*(unknown_placeholders(value) for value in values))


def read_field(answer: Any, path: str) -> Any:
    """The value at a dotted ``path`` ("data.0.id") in the JSON answer, or None."""
    value = answer
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _json_or_none(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


ANSWER_FIELDS = ("success_field", "message_id_field", "error_code_field", "error_message_field")


def _strings(values: Any) -> set[str]:
    return {str(value) for value in (values or [])}


class GenericHttpProvider(SmsProvider):
    alias = "http"
    required_options = ("url",)

    @property
    def idempotent(self) -> bool:  # type: ignore[override]  (a setting, not a constant)
        return bool(self.options.get("idempotent", False))

    @classmethod
    def option_problems(cls, options: dict[str, Any]) -> list[str]:
        problems = super().option_problems(options)
        url = str(options.get("url") or "")
        if url and not url.startswith(("http://", "https://")):
            problems.append(f"{option_key('url')} must be an http(s) URL.")
        if str(options.get("method", "POST")).upper() not in METHODS:
            problems.append(f"{option_key('method')} must be one of {', '.join(METHODS)}.")
        if options.get("body_format", "json") not in BODY_FORMATS:
            problems.append(
                f"{option_key('body_format')} must be one of {', '.join(BODY_FORMATS)}."
            )
        for name in ("body", "headers"):
            if not isinstance(options.get(name, {}), dict):
                problems.append(f"{option_key(name)} must be a dict.")
            elif unknown := unknown_placeholders(options.get(name, {})):
                problems.append(
                    f"{option_key(name)} uses unknown placeholders "
                    f"{', '.join('{' + n + '}' for n in sorted(unknown))}; known ones: "
                    f"{', '.join('{' + n + '}' for n in PLACEHOLDERS)}."
                )
        if options.get("success_field") and not options.get("success_values"):
            problems.append(
                f"{option_key('success_values')} is required with {option_key('success_field')}."
            )
        return problems

    @property
    def _reads_answer(self) -> bool:
        return any(self.options.get(name) for name in ANSWER_FIELDS)

    def _values(self, phone: str, text: str, reference: str, count: SegmentCount) -> dict[str, str]:
        return {
            "phone": phone,
            "phone_local": "0" + phone[2:],
            "phone_e164": "+" + phone,
            "text": text,
            "reference": reference,
            "encoding": count.encoding,
            "unicode": "1" if count.is_unicode else "0",
            "segments": str(count.segments),
        }

    def request_arguments(
        self, phone: str, text: str, *, reference: str, count: SegmentCount
    ) -> dict[str, Any]:
        """What goes to ``requests``: method, url, headers and the filled body."""
        values = self._values(phone, text, reference, count)
        body = fill(self.options.get("body", {}), values)
        body_format = self.options.get("body_format", "json")
        arguments: dict[str, Any] = {
            "method": str(self.options.get("method", "POST")).upper(),
            "url": str(self.options["url"]),
            "headers": fill(self.options.get("headers", {}), values),
        }
        arguments[{"json": "json", "form": "data", "query": "params"}[body_format]] = body
        return arguments

    def _send(self, phone: str, text: str, *, reference: str, count: SegmentCount) -> SmsResult:
        arguments = self.request_arguments(phone, text, reference=reference, count=count)
        try:
            response = transport.request(
                self, arguments.pop("method"), arguments.pop("url"), **arguments
            )
            if response.status_code in (401, 403):
                raise transport.Failure(
                    SmsErrorKind.CONFIGURATION,
                    f"{self.name} refused the credentials",
                    code=f"HTTP {response.status_code}",
                )
            # A gateway configured without any answer field may answer plain text.
            answer = (
                transport.json_answer(self, response)
                if self._reads_answer
                else _json_or_none(response)
            )
        except transport.Failure as failure:
            return self._result(reference, **failure.fields)
        return self.parse(response.status_code, answer, reference=reference)

    def parse(self, status: int, answer: Any, *, reference: str) -> SmsResult:
        """The result for an HTTP status below 500 and the decoded JSON answer."""
        options = self.options
        field = options.get("success_field")
        succeeded = 200 <= status < 300 and (
            not field or str(read_field(answer, field)) in _strings(options.get("success_values"))
        )
        message_id = (
            read_field(answer, options["message_id_field"])
            if options.get("message_id_field")
            else None
        )
        message_id = "" if message_id is None else str(message_id)
        if succeeded:
            return self._result(reference, accepted=True, message_id=message_id, raw=answer)
        code = (
            read_field(answer, options.get("error_code_field") or "")
            if options.get("error_code_field")
            else (read_field(answer, field) if field else None)
        )
        code = f"HTTP {status}" if code is None else str(code)
        if code in _strings(options.get("duplicate_values")):
            return self._result(
                reference,
                accepted=True,
                duplicate=True,
                message_id=message_id,
                error_code=code,
                raw=answer,
            )
        message = (
            read_field(answer, options.get("error_message_field") or "")
            if options.get("error_message_field")
            else None
        )
        kind = (
            SmsErrorKind.RETRYABLE
            if code in _strings(options.get("retryable_codes"))
            else SmsErrorKind.CONFIGURATION
            if code in _strings(options.get("configuration_codes"))
            else SmsErrorKind.PERMANENT
        )
        return self._result(
            reference,
            accepted=False,
            error_kind=kind,
            error_code=code,
            error_message=str(message or f"{self.name} refused the SMS"),
            raw=answer,
        )
