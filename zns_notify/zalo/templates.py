"""Zalo's template JSON (list and detail shapes) turned into plain, normalized dicts."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from zns_notify.zalo.client import as_int

#: ``status`` filter numbers of /template/all (a string filter is refused with -132).
STATUS_NUMBERS = {"ENABLE": 1, "PENDING_REVIEW": 2, "REJECT": 3, "DISABLE": 4, "DELETE": 5}

#: What stands for a status Zalo sent that is none of its documented ones.
UNKNOWN_STATUS = "UNKNOWN"
#: Zalo's documented statuses (zns-api.md §5), and the spellings its answers, webhooks and
#: client libraries use for them: past participles, the list filter's numbers. ``DRAFT``
#: (seen in webhook transitions) is a template not yet approved: not sendable, like one
#: under review.
STATUS_ALIASES = {
    **{name: name for name in STATUS_NUMBERS},
    **{str(number): name for name, number in STATUS_NUMBERS.items()},
    "ENABLED": "ENABLE",
    "PENDING": "PENDING_REVIEW",
    "REVIEW": "PENDING_REVIEW",
    "IN_REVIEW": "PENDING_REVIEW",
    "DRAFT": "PENDING_REVIEW",
    "REJECTED": "REJECT",
    "DISABLED": "DISABLE",
    "DELETED": "DELETE",
}
_STATUS_SEPARATORS = re.compile(r"[\s\-.]+")


def normalize_status(value: Any) -> str:
    """A template status as Zalo sent it (any case, ``pending review``, ``Pending-Review``,
    ``Enabled``, the number 1-5) as one of :data:`STATUS_NUMBERS`; "" when there is none;
    :data:`UNKNOWN_STATUS` for anything else (the caller keeps the raw value for operators)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return UNKNOWN_STATUS if value not in (None, "") else ""
    text = _STATUS_SEPARATORS.sub("_", str(value).strip()).strip("_").upper()
    if not text:
        return ""
    return STATUS_ALIASES.get(text, UNKNOWN_STATUS)


def unknown_status_note(raw: str, previous: str = "") -> str:
    """The template's note when Zalo sent a status that is none of ours: its raw value, for
    operators."""
    return _(
        "Zalo sent the status %(raw)s (from %(old)s), which zns_notify does not know: stored "
        "as UNKNOWN, not sendable. Sync the templates, or check the template on Zalo."
    ) % {"raw": repr(raw), "old": previous or "?"}


#: Zalo regrouped tags on 2024-04-16; both vocabularies are in use (zns-api.md §5).
TAG_ALIASES = {
    "OTP": "TRANSACTION",
    "IN_TRANSACTION": "TRANSACTION",
    "POST_TRANSACTION": "CUSTOMER_CARE",
    "ACCOUNT_UPDATE": "CUSTOMER_CARE",
    "GENERAL_UPDATE": "CUSTOMER_CARE",
    "FOLLOW_UP": "PROMOTION",
    "1": "TRANSACTION",
    "2": "CUSTOMER_CARE",
    "3": "PROMOTION",
}


def normalize_tag(tag: Any) -> str:
    text = str(tag or "").strip().upper()
    return TAG_ALIASES.get(text, text)


def _price(data: dict[str, Any], *keys: str) -> Decimal | None:
    """The first of ``keys`` holding a number ("800.0", 800 or 800.0); None without one."""
    for key in keys:
        try:
            if data.get(key) not in (None, ""):
                price = Decimal(str(data[key]).strip())
                if price.is_finite():
                    return price
        except InvalidOperation:
            continue
    return None


def as_bool(value: Any, default: bool) -> bool:
    """Zalo's booleans, also when a partner passes them through as "true"/"false"/"1"/"0"."""
    if value is None or value == "":
        return default
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        return default
    return bool(value)


def parse_param(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": str(spec.get("name", "")).strip(),
        "require": as_bool(spec.get("require"), True),
        "type": str(spec.get("type") or "STRING"),
        "max_length": as_int(spec.get("maxLength")),
        "min_length": as_int(spec.get("minLength")) or 0,
        "accept_null": as_bool(spec.get("acceptNull"), False),
    }


def parse_template_info(data: dict[str, Any]) -> dict[str, Any]:
    """A /template/info(/v2) ``data`` object as the fields of our Template model."""
    return {
        "template_id": template_id(data.get("templateId")),
        "name": str(data.get("templateName", ""))[:255],
        "status": normalize_status(data.get("status")),
        "tag": normalize_tag(data.get("templateTag")),
        "zalo_tag": str(data.get("templateTag") or "").strip()[:32],
        "params": [
            parse_param(p)
            for p in data.get("listParams") or []
            if isinstance(p, dict) and str(p.get("name") or "").strip()
        ],
        "buttons": [b for b in data.get("listButtons") or [] if isinstance(b, dict)],
        "quality": str(data.get("templateQuality") or ""),
        # `price` is deprecated in favour of `price_sdt` (phone channel) in newer docs.
        "price": _price(data, "price_sdt", "price"),
        "price_uid": _price(data, "price_uid"),
        "preview_url": str(data.get("previewUrl") or "")[:500],
        "timeout_ms": as_int(data.get("timeout")),
        "reason": str(data.get("reason") or ""),
    }


def template_id(value: Any) -> str:
    """A templateId as our key: ints in the list, strings in detail ("217489", 217489,
    217489.0 and hex-like "7895417a7d3f9461cd2e" all occur)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if value not in (None, "") else ""


def template_ids(page: list[dict[str, Any]]) -> list[str]:
    """Ids from one /template/all page (ints there, strings in detail)."""
    ids = (template_id(item.get("templateId")) for item in page if isinstance(item, dict))
    return [tid for tid in ids if tid]
