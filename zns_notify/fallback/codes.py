"""The SMS fallback of one-time codes (docs/otp.md "When Zalo cannot deliver the code").

A code's message (event ``otp:<purpose>``) has no binding: its plan comes from the
``OTP_*`` settings (:func:`zns_notify.fallback.steps.plan_for`), its text from
``OTP_SMS_TEXT`` here, and its SMS may go only while its ``OtpChallenge`` is the live
code, so the customer never holds two codes that work. The code itself is the message's
only parameter (:mod:`zns_notify.otp.sending` writes no other); it is never stored in
the step's text, which the delivery log shows.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from zns_notify import sms
from zns_notify.conf import app_settings
from zns_notify.models import Message, OtpChallenge
from zns_notify.models.otp import HIDDEN_CODE, OTP_EVENT_PREFIX, dead_code_status
from zns_notify.models.sms_triggers import KNOWN

#: Every outcome that keeps the code from the phone sends it by SMS at once: a code that
#: waited for the template or tomorrow's quota would arrive long after it expired.
TRIGGERS = frozenset(KNOWN)


def render(code: str, purpose: str) -> str:
    """``OTP_SMS_TEXT`` for ``code`` and ``purpose`` (its label, translated)."""
    label = app_settings.OTP_PURPOSES.get(purpose, purpose)
    minutes = max(1, app_settings.OTP_TTL // 60)
    return app_settings.OTP_SMS_TEXT.format(code=code, purpose=_(label), minutes=minutes)


def sms_text(message: Message) -> str:
    values = list((message.params or {}).values())
    if len(values) != 1 or not str(values[0]).strip():
        raise sms.SmsInvalidText(_("The one-time code's message holds no code."))
    return render(str(values[0]), message.event[len(OTP_EVENT_PREFIX) :])


def hidden(message: Message, text: str) -> str:
    """``text`` as the step stores it: the code replaced by ``HIDDEN_CODE``."""
    for value in (message.params or {}).values():
        if str(value):
            text = text.replace(str(value), HIDDEN_CODE)
    return text


def hidden_record(message: Message, value: object) -> object:
    """``value`` (a provider's answer as JSON: dicts, lists, strings, numbers) with the
    code replaced by ``HIDDEN_CODE`` in every string: a gateway may echo the text it sent."""
    if isinstance(value, str):
        return hidden(message, value)
    if isinstance(value, dict):
        return {key: hidden_record(message, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [hidden_record(message, item) for item in value]
    return value


def no_longer_valid(message_pk: int, now: dt.datetime) -> bool:
    """The code was verified, replaced by a newer one, locked or expired: not texted."""
    return dead_code_status(message_pk, now) is not None


def sent_by_sms(message_pk: int) -> None:
    OtpChallenge.objects.filter(message_id=message_pk).update(channel=OtpChallenge.Channel.SMS)
