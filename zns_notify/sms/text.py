"""Preparing an SMS text: Vietnamese without diacritics, so it stays in GSM-7.

A Vietnamese text with its diacritics is UCS-2: 70 characters per SMS instead of 160, so
an order notice costs two or three SMS instead of one. Vietnamese readers are used to
"tiếng Việt không dấu" in SMS, which is why ``SMS_STRIP_DIACRITICS`` is on by default.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

from zns_notify.conf import app_settings
from zns_notify.sms.exceptions import SmsInvalidText
from zns_notify.sms.segments import SegmentCount, count_segments

# Letters that are not a base letter plus combining marks, and typography that word
# processors and phones put in texts; each has a GSM-7 stand-in a reader understands.
_REPLACEMENTS = str.maketrans(
    {
        "đ": "d",
        "Đ": "D",
        # The eth lookalikes legacy encodings (TCVN3, VNI) and some keyboards put for đ/Đ.
        "ð": "d",
        "Ð": "D",
        "₫": "d",  # the dong sign: "150.000₫" reads "150.000d", like "150.000đ" stripped
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "″": '"',
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "−": "-",
        "•": "-",
        "…": "...",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\t": " ",
        "×": "x",
        "\u200b": None,
        "\ufeff": None,  # zero-width characters: invisible and UCS-2
    }
)


def strip_diacritics(text: str) -> str:
    """``text`` without Vietnamese diacritics and with common typography made GSM-7.

    NFD splits each accented letter into its base letter and combining marks, which are
    dropped (so "ệ" becomes "e" and "ư" becomes "u"); đ/Đ become d/D; curly quotes,
    dashes, ellipsis and odd spaces get their plain equivalents. Anything else outside
    GSM-7 (emoji, other scripts) is kept: it is content, and the segment count shows its
    cost instead of it silently disappearing.
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_REPLACEMENTS))
    kept = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", kept)


@dataclass(frozen=True)
class PreparedText:
    """The text that will be sent, and what it costs in segments."""

    text: str
    count: SegmentCount
    stripped: bool  # diacritics were removed


def prepare_text(
    text: str, *, strip: bool | None = None, max_segments: int | None = None
) -> PreparedText:
    """The final SMS text for ``text``, checked against the segment limit.

    ``strip`` (diacritics) and ``max_segments`` default to ``SMS_STRIP_DIACRITICS`` and
    ``SMS_MAX_SEGMENTS``. Raises :class:`SmsInvalidText` for an empty text and
    :class:`SmsTooLong` past the limit. The text is NFC-normalized either way, so a
    decomposed "ệ" is not counted as three UCS-2 units.
    """
    if strip is None:
        strip = app_settings.SMS_STRIP_DIACRITICS
    limit = app_settings.SMS_MAX_SEGMENTS if max_segments is None else max_segments
    original = unicodedata.normalize("NFC", text).strip()
    final = strip_diacritics(original) if strip else original
    if not final:
        raise SmsInvalidText(_("The SMS text is empty."))
    return PreparedText(
        text=final, count=count_segments(final, max_segments=limit), stripped=final != original
    )
