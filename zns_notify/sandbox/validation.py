"""Request checks the real ZNS API performs, as pure functions (zns-api.md §2.3, §3, §9)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from zns_notify.sandbox import codes
from zns_notify.sandbox.catalogue import Template

# Vietnamese mobile subscriber numbers: 9 digits starting 3, 5, 7, 8 or 9.
_SUBSCRIBER = re.compile(r"[35789]\d{8}")
_HASH = re.compile(r"[0-9a-f]{64}")

Problem = tuple[int, str]


def normalize_phone(raw: object) -> str | None:
    """``84xxxxxxxxx`` for the forms Zalo accepts, else None.

    Accepted: ``84…``, ``+84…``, ``0…`` and the bare 9 digits left when a spreadsheet
    eats the leading zero (Zalo's -108 guide lists all of these). Spaces and dashes are
    not stripped: a client that sends them has a normalization bug worth seeing.
    """
    if not isinstance(raw, str):
        return None
    text = raw[1:] if raw.startswith("+84") else raw
    for prefix in ("84", "0", ""):
        if text.startswith(prefix) and _SUBSCRIBER.fullmatch(text[len(prefix) :]):
            return "84" + text[len(prefix) :]
    return None


def hash_phone(phone: str) -> str:
    """SHA-256 hex of the normalized number, as the /hashphone variant expects."""
    return hashlib.sha256(phone.encode("ascii")).hexdigest()


def normalize_hash(raw: object) -> str | None:
    if isinstance(raw, str) and _HASH.fullmatch(raw.lower()):
        return raw.lower()
    return None


def check_template_data(template: Template, data: object) -> tuple[dict[str, str], Problem | None]:
    """Validate ``template_data`` against the template's listParams.

    Returns the values as NFC strings and the first problem found, in Zalo's order:
    empty (-111), not an object (-112), missing param (-1122), bad type (-1124),
    too long (-1121; an OTP value over 10 characters too). Lengths are measured after NFC
    normalization, as Zalo does: decomposed Vietnamese would otherwise count each accent
    as a character.
    """
    if data is None or data == {} or data == "":
        return {}, (codes.TEMPLATE_DATA_EMPTY, codes.message_for(codes.TEMPLATE_DATA_EMPTY))
    if not isinstance(data, dict):
        return {}, (codes.TEMPLATE_DATA_INVALID, codes.message_for(codes.TEMPLATE_DATA_INVALID))
    values: dict[str, str] = {}
    # Two passes so a missing parameter is reported before another one's length.
    for param in template.params:
        value = data.get(param.name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # lenient like Zalo with numbers; strings are what it documents
        if value is None or (value == "" and not param.accept_null):
            if param.require:
                return {}, (codes.PARAM_MISSING, f"Missing template parameter: {param.name}")
            continue
        if not isinstance(value, str):
            return {}, (codes.PARAM_BAD_FORMAT, f"{param.name} has invalid format")
        values[param.name] = unicodedata.normalize("NFC", value)
    for param in template.params:
        # ``limit``: an OTP value is held to Zalo's 10 characters even under a larger spec.
        if len(values.get(param.name, "")) > param.limit:
            return {}, (codes.PARAM_TOO_LONG, f"{param.name} data breaks max length")
    return values, None
