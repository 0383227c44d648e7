"""Zalo's error descriptions in the operator's language, for the admin pages and reports.

What is stored (``Message.error_message``, ``MessageEvent.detail``, ``SendingHold.reason``)
and what the API and the CSV exports return stays as written: the worker writes
"Zalo error -118: <Zalo's own message, or our English description>", wrapped in its own
sentences ("Sending is on hold until …: …") in the language active in the worker
(``LANGUAGE_CODE``). Only pages translate, and only the part they can recognise: the
description of a code :data:`~zns_notify.zalo.errors.ERROR_CODES` knows.
"""

from __future__ import annotations

from django.utils.translation import gettext

from zns_notify.zalo.errors import ERROR_CODES, describe


def error_description(code: int) -> str:
    """Zalo's meaning of ``code`` in the active language ("Unknown Zalo error" if unknown)."""
    return gettext(describe(code))


def localized_reason(code: int | None, text: str) -> str:
    """``text`` (a stored reason) with the description of a known ``code`` in the active
    language.

    The English description, when the text contains it, is replaced in place, so the
    surrounding sentence keeps its shape. When Zalo worded the error its own way (or in
    another language), its words stay and the translated description follows in brackets,
    unless the text already contains it.
    """
    if not isinstance(text, str) or code not in ERROR_CODES:
        return text
    english = describe(code)
    local = gettext(english)
    if english in text:
        return text.replace(english, local)
    if not text or local in text:
        return text
    return f"{text} ({local})"
