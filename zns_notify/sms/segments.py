"""How many SMS segments a text takes: GSM-7 or UCS-2, single or concatenated.

The rules are 3GPP TS 23.038 (alphabets) and TS 23.040 (concatenation):

- A text made only of characters of the GSM 03.38 basic table is sent in GSM-7: 160
  units in one SMS. Characters of the extension table (``^ { } \\ [ ~ ] | €`` and form
  feed) are sent as ESC + character, so each counts 2 units.
- Any other character (Vietnamese letters with diacritics, emoji…) switches the whole text
  to UCS-2: 70 UTF-16 units in one SMS; a character outside the BMP (most emoji) is a
  surrogate pair and counts 2.
- A longer text is split into segments carrying a 6-byte concatenation header, leaving
  153 GSM-7 units or 67 UCS-2 units each. Phones and SMSCs never split an escape pair or a
  surrogate pair across two segments, so such a pair that does not fit in the unit left
  starts the next segment; the counter packs segments the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from zns_notify.sms.exceptions import SmsTooLong

GSM7 = "GSM-7"
UCS2 = "UCS-2"

#: Units in a single SMS and per segment of a concatenated one.
LIMITS: dict[str, tuple[int, int]] = {GSM7: (160, 153), UCS2: (70, 67)}

# The GSM 03.38 basic character set, less ESC (0x1B), which only introduces the extension
# table and is never a character of the text.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: Characters of the extension table: each is sent as ESC + character (2 units).
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")


@dataclass(frozen=True)
class SegmentCount:
    """The length budget of one SMS text."""

    encoding: str  # GSM7 or UCS2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int  # SMS billed; 0 for an empty text
    remaining: int  # units still free in the last segment
    characters: int  # code points, as a person would count them

    @property
    def is_unicode(self) -> bool:
        return self.encoding == UCS2

    @property
    def per_segment(self) -> int:
        """Units one segment holds at this length (single SMS or concatenated)."""
        single, multi = LIMITS[self.encoding]
        return single if self.segments <= 1 else multi


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` can be sent in GSM-7."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def _unit_sizes(text: str, encoding: str) -> list[int]:
    if encoding == GSM7:
        return [2 if char in GSM7_EXTENSION else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def _pack(sizes: list[int], capacity: int) -> tuple[int, int]:
    """(segments, units used in the last one), never splitting a 2-unit character."""
    segments, used = 1, 0
    for size in sizes:
        if used + size > capacity:
            segments, used = segments + 1, 0
        used += size
    return segments, used


def count_segments(text: str, *, max_segments: int | None = None) -> SegmentCount:
    """Count ``text``; raise :class:`SmsTooLong` if it needs more than ``max_segments``."""
    encoding = GSM7 if is_gsm7(text) else UCS2
    sizes = _unit_sizes(text, encoding)
    units = sum(sizes)
    single, multi = LIMITS[encoding]
    if units == 0:
        segments, remaining = 0, single
    elif units <= single:
        segments, remaining = 1, single - units
    else:
        segments, used = _pack(sizes, multi)
        remaining = multi - used
    count = SegmentCount(
        encoding=encoding, units=units, segments=segments, remaining=remaining, characters=len(text)
    )
    if max_segments is not None and segments > max_segments:
        raise SmsTooLong(
            _(
                "The SMS text needs %(segments)d segments (%(units)d %(encoding)s units); "
                "at most %(max)d are allowed."
            )
            % {"segments": segments, "units": units, "encoding": encoding, "max": max_segments},
            count=count,
            max_segments=max_segments,
        )
    return count
