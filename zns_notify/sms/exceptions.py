"""Errors of the SMS channel.

Three families, as for ZNS:

- :class:`SmsConfigurationError` (an ``ImproperlyConfigured``, outside the runtime tree):
  the settings name an unknown provider or lack a required option. Raised by
  :func:`zns_notify.sms.get_provider` and reported at startup by the system checks.
- :class:`SmsInvalidText` / :class:`SmsTooLong` (``ValueError``): the text itself cannot
  be sent; raised before anything goes out.
- :class:`SmsSendError` subclasses, raised by :meth:`SmsResult.raise_for_error` for a
  send the provider refused or that may not have arrived. Their ``kind`` says what to do:
  retry later, give up on this message, or have an admin fix the account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zns_notify.exceptions import ZnsConfigurationError, ZnsError

if TYPE_CHECKING:
    from zns_notify.sms.results import SmsResult
    from zns_notify.sms.segments import SegmentCount


class SmsError(ZnsError):
    """Base class of the SMS channel's runtime errors."""


class SmsConfigurationError(ZnsConfigurationError):
    """``SMS_PROVIDER`` or ``SMS_PROVIDER_OPTIONS`` is wrong; the message names the key."""


class SmsInvalidText(SmsError, ValueError):
    """The text cannot be sent as an SMS (empty, or too long)."""


class SmsTooLong(SmsInvalidText):
    """The text needs more segments than ``SMS_MAX_SEGMENTS`` allows."""

    def __init__(self, message: str, *, count: SegmentCount, max_segments: int):
        super().__init__(message)
        self.count = count
        self.max_segments = max_segments


class SmsSendError(SmsError):
    """A send that did not (surely) go out; ``result`` has the provider's answer."""

    kind = ""

    def __init__(self, result: SmsResult):
        super().__init__(str(result))
        self.result = result


class SmsRetryableError(SmsSendError):
    """Try again later: network trouble, provider busy or down. ``result.ambiguous`` says
    whether the provider may have accepted it anyway."""

    kind = "retryable"


class SmsPermanentError(SmsSendError):
    """This message will never go: invalid or blocked number, content refused."""

    kind = "permanent"


class SmsAccountError(SmsSendError):
    """The provider refused the account itself (keys, sender name, balance, IP whitelist):
    every send fails until an admin fixes it."""

    kind = "configuration"
