"""The provider interface: ``send(phone, text, *, reference) -> SmsResult``.

A provider turns one text into one request and the answer into an :class:`SmsResult`;
the checks every send shares (phone, length, cost) live here, so a provider module only
knows its own API. Providers never raise for a refused or failed send: the result says
what happened (``result.raise_for_error()`` turns it into an exception when wanted).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, ClassVar

from django.utils.translation import gettext as _

from zns_notify.conf import app_settings
from zns_notify.lib.phones import normalize_phone
from zns_notify.sms.exceptions import SmsConfigurationError, SmsInvalidText
from zns_notify.sms.results import SmsResult
from zns_notify.sms.segments import SegmentCount, count_segments

logger = logging.getLogger("zns_notify.sms")


def option_key(name: str) -> str:
    return f'ZNS_NOTIFY["SMS_PROVIDER_OPTIONS"]["{name}"]'


class SmsProvider:
    """Base class of SMS providers.

    Subclasses set ``alias`` and ``required_options``, may extend
    :meth:`option_problems`, and implement :meth:`_send`. ``idempotent`` is True when
    the provider itself refuses a second message with the same reference, which makes
    sending again after an ambiguous failure safe.
    """

    alias: ClassVar[str] = ""
    idempotent: ClassVar[bool] = False
    required_options: ClassVar[tuple[str, ...]] = ()

    def __init__(self, options: dict[str, Any] | None = None):
        self.options = dict(options or {})
        problems = self.option_problems(self.options)
        if problems:
            raise SmsConfigurationError(problems[0])

    @property
    def name(self) -> str:
        return self.alias or type(self).__name__

    @classmethod
    def option_problems(cls, options: dict[str, Any]) -> list[str]:
        """What is wrong with ``options``, one sentence naming the key per problem."""
        label = cls.alias or cls.__name__
        return [
            f"{option_key(name)} is required by the {label} SMS provider."
            for name in cls.required_options
            if not options.get(name)
        ]

    def send(self, phone: str, text: str, *, reference: str) -> SmsResult:
        """Send ``text`` as it is (see :func:`zns_notify.sms.prepare_text`) to ``phone``.

        ``reference`` identifies the message for the provider's de-duplication and for
        the logs: send a retry with the same one. Raises ``ZnsInvalidPhone`` for a number
        that is not a Vietnamese mobile, :class:`SmsInvalidText` for an empty text and
        :class:`SmsTooLong` past ``SMS_MAX_SEGMENTS``, before anything is sent.
        """
        if not reference:
            raise ValueError("send() needs a reference: it is what makes a retry safe.")
        number = normalize_phone(phone)
        count = count_segments(text, max_segments=app_settings.SMS_MAX_SEGMENTS)
        if count.segments == 0:
            raise SmsInvalidText(_("The SMS text is empty."))
        result = self._send(number, text, reference=reference, count=count)
        result = replace(result, encoding=count.encoding, segments=count.segments)
        if result.accepted and result.cost is None and not result.duplicate:
            cost = app_settings.SMS_COST_PER_SEGMENT
            if cost is not None:
                result = result.with_cost(cost * count.segments, estimate=True)
        logger.info(
            "sms %s: %s to …%s (%s)",
            self.name,
            "accepted" if result.accepted else f"failed [{result.error_kind}]",
            number[-3:],
            reference,
        )
        return result

    def _send(self, phone: str, text: str, *, reference: str, count: SegmentCount) -> SmsResult:
        """Send to ``phone`` (``84…``) and describe the outcome; never raise for it."""
        raise NotImplementedError(f"{type(self).__qualname__}._send() is not implemented")

    def _result(self, reference: str, **fields: Any) -> SmsResult:
        return SmsResult(provider=self.name, reference=reference, **fields)
