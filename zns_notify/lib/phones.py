"""Vietnamese mobile numbers in the form Zalo expects: ``84`` + 9 digits."""

from __future__ import annotations

import re
from functools import lru_cache

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


#: A run of digits a phone number may be written as: ``0912 345 678``, ``+84 912-345-678``,
#: ``(091) 234.5678``; one separator between digits (besides brackets).
_WRITTEN_NUMBER = re.compile(r"\+?\(?\d(?:\)?[ .\-]?\(?\d){7,13}")


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _mask_digits(text: str) -> str:
    """``text`` with every digit but the last three starred, separators kept."""
    hide = max(sum(c.isdigit() for c in text) - 3, 0)
    out = []
    for c in text:
        if c.isdigit() and hide:
            out.append("*")
            hide -= 1
        else:
            out.append(c)
    return "".join(out)


def mask_params(params: dict, phone: str) -> dict:
    """``params`` with ``phone`` (``84…``) masked inside the values, however it is written
    there (``84…``, ``0…``, ``+84 912 345 678``, ``0912.345.678``): a binding may put the
    number into a parameter, from the normalized ``phone`` or from the order's own field
    as the customer typed it."""
    if not phone:
        return dict(params)
    national = phone[2:]

    def hide(match: re.Match) -> str:
        digits = _digits(match.group())
        same = digits in (phone, "0" + national) or (
            digits.startswith("840") and digits[3:] == national
        )
        return _mask_digits(match.group()) if same else match.group()

    return {key: _WRITTEN_NUMBER.sub(hide, str(value)) for key, value in params.items()}
