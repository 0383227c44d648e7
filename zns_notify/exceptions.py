"""Errors raised by zns_notify.

``ZnsConfigurationError`` is kept outside the runtime tree on purpose: code that swallows
``ZnsError`` (a failed send) must never swallow a misconfiguration.
"""

from __future__ import annotations

from django.core.exceptions import (
    ImproperlyConfigured,
    ObjectDoesNotExist,
    SuspiciousOperation,
)


class ZnsError(Exception):
    """Base class of every runtime error zns_notify raises."""


class ZnsConfigurationError(ImproperlyConfigured):
    """A setting is missing or wrong; the message names the exact setting."""


class ZnsRenderError(ZnsError, ValueError):
    """A binding could not produce a valid value for a template parameter."""

    def __init__(self, message: str, *, param: str | None = None):
        super().__init__(message)
        self.param = param


class ZnsInvalidPhone(ZnsError, ValueError):
    """A phone number cannot receive ZNS (malformed, landline, foreign)."""


class ZnsTemplateNotFound(ZnsError, ObjectDoesNotExist):
    """A message's Zalo template is none the OA has (no synced template row): the send gate
    refuses it before any call. Not an answer from Zalo; the message fails as a ``config``
    error, like Zalo's own answers about templates."""


class ZnsWebhookValidationFailure(ZnsError, SuspiciousOperation):
    """A webhook failed validation; Django answers it with a 400."""


class ZnsReconnectRequired(ZnsConfigurationError):
    """Zalo refused the OA's refresh token: an admin must connect the OA again."""
