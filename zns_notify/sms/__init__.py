"""The SMS channel: segment counting, Vietnamese text preparation and providers.

The public API (everything else is internal)::

    from zns_notify import sms

    prepared = sms.prepare_text("Đơn hàng DH123 đã giao")  # strip + count + length check
    prepared.text, prepared.count.segments, sms.estimate_cost(prepared.count.segments)
    sms.preview_sms(text).summary()  # for the binding preview; never raises
    result = sms.send_sms("0912345678", text, reference=message.idempotency_key)
    result.accepted, result.message_id, result.error_kind, result.ambiguous

See docs/sms.md.
"""

from __future__ import annotations

from zns_notify.sms.exceptions import (
    SmsAccountError,
    SmsConfigurationError,
    SmsError,
    SmsInvalidText,
    SmsPermanentError,
    SmsRetryableError,
    SmsSendError,
    SmsTooLong,
)
from zns_notify.sms.preview import SmsPreview, preview_sms
from zns_notify.sms.providers.base import SmsProvider
from zns_notify.sms.registry import (
    ALIASES,
    estimate_cost,
    get_provider,
    is_enabled,
    provider_class,
    send_sms,
)
from zns_notify.sms.results import SmsErrorKind, SmsResult
from zns_notify.sms.segments import GSM7, UCS2, SegmentCount, count_segments, is_gsm7
from zns_notify.sms.text import PreparedText, prepare_text, strip_diacritics

__all__ = [
    "ALIASES",
    "GSM7",
    "UCS2",
    "PreparedText",
    "SegmentCount",
    "SmsAccountError",
    "SmsPreview",
    "preview_sms",
    "SmsConfigurationError",
    "SmsError",
    "SmsErrorKind",
    "SmsInvalidText",
    "SmsPermanentError",
    "SmsProvider",
    "SmsResult",
    "SmsRetryableError",
    "SmsSendError",
    "SmsTooLong",
    "count_segments",
    "estimate_cost",
    "get_provider",
    "is_enabled",
    "is_gsm7",
    "prepare_text",
    "provider_class",
    "send_sms",
    "strip_diacritics",
]
