"""One HTTP request to a provider, with failures described as an :class:`SmsResult`.

Which failures are ambiguous follows the ZNS client (``zns_notify.zalo.client``): a
refused connection or a connect timeout never reached the provider; a read timeout, a
reset mid-request or an HTTP 5xx may come after the provider accepted the message.
"""

from __future__ import annotations

from typing import Any

import requests

from zns_notify.conf import app_settings
from zns_notify.lib.http_session import may_have_reached_server, session
from zns_notify.sms.providers.base import SmsProvider
from zns_notify.sms.results import SmsErrorKind


class Failure(Exception):
    """Carries the fields of a failed :class:`SmsResult` out of :func:`request`."""

    def __init__(
        self, kind: SmsErrorKind, message: str, *, code: str = "", ambiguous: bool = False
    ):
        super().__init__(message)
        self.fields = {
            "accepted": False,
            "error_kind": kind,
            "error_code": code,
            "error_message": message,
            "ambiguous": ambiguous,
        }


def timeout_option(provider: SmsProvider) -> tuple[float, float]:
    """The ``timeout`` option (seconds, or a (connect, read) pair), else REQUEST_TIMEOUT."""
    value = provider.options.get("timeout")
    if value is None:
        return app_settings.REQUEST_TIMEOUT
    if isinstance(value, (int, float)):
        return (float(value), float(value))
    return (float(value[0]), float(value[1]))


def _invalid_headers(headers: Any) -> str:
    """Which headers requests refused, by name only: their values are credentials."""
    names = [
        str(name)
        for name, value in (headers or {}).items()
        if not isinstance(value, (str, bytes))
        or value[:1].isspace()
        or any(char in value for char in ("\r", "\n") if isinstance(value, str))
    ]
    return (
        f"the value of header {', '.join(names) or '?'} is not a string, or has "
        "leading whitespace or a line break (value not shown)"
    )


def request(provider: SmsProvider, method: str, url: str, **kwargs: Any) -> requests.Response:
    """Send the request; raise :class:`Failure` for a transport error or HTTP 429/5xx.

    Other statuses are returned: what a 4xx means is the provider module's business.
    """
    name = provider.name
    try:
        response = session().request(method, url, timeout=timeout_option(provider), **kwargs)
    except requests.ConnectTimeout as exc:
        raise Failure(SmsErrorKind.RETRYABLE, f"connecting to {name} timed out") from exc
    except requests.ConnectionError as exc:
        raise Failure(
            SmsErrorKind.RETRYABLE,
            f"connection to {name} failed",
            ambiguous=may_have_reached_server(exc),
        ) from exc
    except requests.Timeout as exc:
        raise Failure(
            SmsErrorKind.RETRYABLE, f"{name} did not answer in time", ambiguous=True
        ) from exc
    except requests.exceptions.InvalidHeader as exc:  # its text quotes the value: a token, often
        raise Failure(
            SmsErrorKind.CONFIGURATION,
            f"cannot call {name}: {_invalid_headers(kwargs.get('headers'))}",
        ) from exc
    except requests.RequestException as exc:  # a malformed URL and its kin: nothing sent
        raise Failure(SmsErrorKind.CONFIGURATION, f"cannot call {name}: {exc}") from exc
    if response.status_code == 429:
        raise Failure(
            SmsErrorKind.RETRYABLE, f"{name} asks to slow down (HTTP 429)", code="HTTP 429"
        )
    if response.status_code >= 500:
        raise Failure(
            SmsErrorKind.RETRYABLE,
            f"{name} answered HTTP {response.status_code}",
            code=f"HTTP {response.status_code}",
            ambiguous=True,
        )
    return response


def json_answer(provider: SmsProvider, response: requests.Response) -> Any:
    """The answer's JSON; a body that is not JSON is an ambiguous failure (a proxy page)."""
    try:
        return response.json()
    except ValueError as exc:
        raise Failure(
            SmsErrorKind.RETRYABLE,
            f"{provider.name} answered HTTP {response.status_code} with a body that is not JSON",
            ambiguous=True,
        ) from exc
