"""Vietnamese mobile numbers in the form Zalo expects: ``84`` + 9 digits."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Any

import phonenumbers
from django.utils.translation import gettext as _

from zns_notify.exceptions import ZnsInvalidPhone

_MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


@lru_cache(maxsize=4096)
def _classify(raw: str) -> tuple[str, str]:
    """Return ("ok", "84...") or (problem, ""). Cached because a shop sends several events
    per order to the same number and phonenumbers.parse is the costliest step of the hot path."""
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        return ("malformed", "")
    if number.country_code != 84:
        return ("foreign", "")
    if not phonenumbers.is_valid_number(number):
        return ("invalid", "")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        return ("landline", "")
    return ("ok", f"84{number.national_number}")


def _problem_text(problem: str) -> str:
    return {
        "malformed": _("Phone number %(phone)s is malformed."),
        "foreign": _("Phone number %(phone)s is not Vietnamese; ZNS only reaches +84 numbers."),
        "invalid": _("Phone number %(phone)s is not a valid number."),
        "landline": _("Phone number %(phone)s is a landline; ZNS only reaches mobile numbers."),
    }[problem]


def normalize_phone(raw: object) -> str:
    """Return ``84xxxxxxxxx`` for a Vietnamese mobile number, or raise :class:`ZnsInvalidPhone`.

    Accepts what people type: ``0912 345 678``, ``+84 912345678``, ``84912345678``,
    ``(091) 234-5678``. The error message masks the number (it ends up in logs).
    """
    text = str(raw or "").strip()
    if not text:
        raise ZnsInvalidPhone(_("The order has no phone number."))
    problem, normalized = _classify(text)
    if problem != "ok":
        raise ZnsInvalidPhone(_problem_text(problem) % {"phone": mask(text)})
    return normalized


def can_see_full_phone(request) -> bool:
    """Staff with ``zns_notify.view_full_phone`` see numbers whole (admin and API alike);
    everyone else sees them masked."""
    user = getattr(request, "user", None)
    return bool(user and user.has_perm("zns_notify.view_full_phone"))


def mask(phone: object) -> str:
    """Hide all but the last three digits, for logs and staff without the permission."""
    text = str(phone or "")
    if len(text) <= 3:
        return "*" * len(text)
    return "*" * (len(text) - 3) + text[-3:]


#: What may stand between two digits of a written number: spaces (also no-break ones),
#: dots, dashes, slashes, brackets; a few of them ("0912 - 345 - 678").
_SEP = r"[\s.\-/()\u00a0]{0,3}"
#: How the country or trunk prefix may be written before the 9 national digits: ``+84``,
#: ``84``, ``(+84)``, ``+84 (0)``, ``0``, ``(0``; or nothing (the bare national number).
_PREFIX = rf"(?:\(?\+?\(?84\)?{_SEP}(?:\(?0\)?{_SEP})?|\(?0{_SEP})?"
#: Any Vietnamese mobile number, however written: for text whose recipient is unknown (a
#: stored webhook body).
_ANY_NUMBER = re.compile(
    rf"(?<![\d+])(?:\(?\+?\(?84\)?{_SEP}(?:\(?0\)?{_SEP})?|\(?0{_SEP})[1-9](?:{_SEP}\d){{8}}(?!\d)"
)
#: A SHA-256 in hex: a ``HASH_PHONE`` send names the recipient by the number's hash, which
#: gives the number back in seconds (Vietnamese mobile numbers are few): the hash is the number.
_ANY_HASH = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")


@lru_cache(maxsize=1024)
def _number_pattern(phone: str) -> re.Pattern:
    """``phone`` (``84…``) however it may be written, with its SHA-256 (hex, any case)."""
    national = phone[2:] if phone.startswith("84") else phone.lstrip("0")
    digits = _SEP.join(re.escape(d) for d in national)
    digest = hashlib.sha256(phone.encode()).hexdigest()
    return re.compile(
        rf"(?<![\d+])(?:{_PREFIX}{digits}(?!\d))|(?<![0-9a-fA-F]){digest}(?![0-9a-fA-F])",
        re.IGNORECASE,
    )


def _mask_digits(text: str) -> str:
    """``text`` with every digit (hex digit, for a hash) but the last three starred,
    separators kept."""
    hexadecimal = len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text)
    shown = str.isalnum if hexadecimal else str.isdigit
    hide = max(sum(1 for c in text if shown(c)) - 3, 0)
    out = []
    for c in text:
        if shown(c) and hide:
            out.append("*")
            hide -= 1
        else:
            out.append(c)
    return "".join(out)


def mask_phones(text: object, phone: str | None = None) -> str:
    """``text`` with phone numbers masked, wherever and however they are written there
    (``84…``, ``0…``, ``+84 912 345 678``, ``0912.345.678``, ``(091) 234-5678``…): the one
    masking of free-form text, for staff without ``zns_notify.view_full_phone``.

    With ``phone`` (the recipient's ``84…``): that number and its SHA-256; other numbers
    (the shop's hotline in a parameter) stay readable. Without: every Vietnamese mobile
    number and every SHA-256 (text whose recipient is unknown, such as a webhook body)."""
    value = str(text or "")
    if phone is None:
        value = _ANY_NUMBER.sub(lambda match: _mask_digits(match.group()), value)
        return _ANY_HASH.sub(lambda match: _mask_digits(match.group()), value)
    if not phone or not phone.isdigit() or len(phone) < 9:
        # A skipped message may hold whatever the order had: masked as a whole wherever it
        # appears verbatim.
        return value.replace(phone, mask(phone)) if phone else value
    return _number_pattern(phone).sub(lambda match: _mask_digits(match.group()), value)


def mask_phones_in(value: Any, phone: str | None = None) -> Any:
    """:func:`mask_phones` for a value or key from JSON: a string, or a number whose digits
    are a phone number (``84912345671`` sent as a JSON number, or a key). A masked number
    comes back as text (stars are no digits); anything else as it is."""
    if isinstance(value, str):
        return mask_phones(value, phone)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = str(value)
        masked = mask_phones(text, phone)
        return value if masked == text else masked
    return value


def mask_params(params: dict, phone: str) -> dict:
    """``params`` with ``phone`` (``84…``) masked inside the values (:func:`mask_phones`): a
    binding may put the number into a parameter, from the normalized ``phone`` or from the
    order's own field as the customer typed it."""
    if not phone:
        return dict(params)
    return {key: mask_phones(value, phone) for key, value in params.items()}
