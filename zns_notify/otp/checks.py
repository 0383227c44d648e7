"""System checks of the one-time code settings (zns_notify.E050, W051)."""

from __future__ import annotations

from django.core.checks import Error, Tags, Warning, register

from zns_notify import sms
from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.fallback import codes

#: Every ``OTP_*`` setting that is read when a code is requested or checked.
_KEYS = (
    "OTP_PURPOSES",
    "OTP_CODE_LENGTH",
    "OTP_TTL",
    "OTP_MAX_TRIES",
    "OTP_RESEND_COOLDOWN",
    "OTP_LIMIT_PER_PHONE",
    "OTP_LIMIT_PER_PURPOSE",
    "OTP_LIMIT_PER_IP",
    "OTP_VERIFY_LIMIT_PER_IP",
    "OTP_KEEP_DAYS",
    "OTP_HASH_KEY",
    "OTP_SMS_AFTER",
    "OTP_SMS_TEXT",
)


@register(Tags.compatibility)
def check_otp_settings(app_configs=None, **kwargs) -> list:
    """E050: an ``OTP_*`` setting cannot be read; found at start-up rather than on the
    first customer's request."""
    errors = []
    for key in _KEYS:
        try:
            getattr(app_settings, key)
        except ZnsConfigurationError as exc:
            errors.append(Error(str(exc), id="zns_notify.E050"))
    if not errors and sms.is_enabled():
        errors.extend(_sms_text_fits())
    return errors


def _sms_text_fits() -> list:
    """W051: the code's SMS, with the longest purpose label, needs more than one segment
    as the SMS settings prepare it (a code must not cost two SMS, nor arrive in parts)."""
    code = "9" * app_settings.OTP_CODE_LENGTH
    longest = max(app_settings.OTP_PURPOSES, key=lambda name: len(codes.render(code, name)))
    try:
        count = sms.prepare_text(codes.render(code, longest), max_segments=255).count
    except sms.SmsError as exc:
        return [Warning(f'ZNS_NOTIFY["OTP_SMS_TEXT"]: {exc}', id="zns_notify.W051")]
    if count.segments <= 1:
        return []
    return [
        Warning(
            f'ZNS_NOTIFY["OTP_SMS_TEXT"] needs {count.segments} segments ({count.encoding}) '
            f"with a {len(code)}-digit code and the purpose {longest!r}; a code's SMS should "
            "fit one (160 GSM-7 characters: no diacritics, or SMS_STRIP_DIACRITICS on).",
            id="zns_notify.W051",
        )
    ]
