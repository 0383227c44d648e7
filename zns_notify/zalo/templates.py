"""Zalo's template JSON (list and detail shapes) turned into plain, normalized dicts."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .client import as_int

#: ``status`` filter numbers of /template/all (a string filter is refused with -132).
STATUS_NUMBERS = {"ENABLE": 1, "PENDING_REVIEW": 2, "REJECT": 3, "DISABLE": 4, "DELETE": 5}

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


def _price(data: dict[str, Any]) -> Decimal | None:
    # `price` is deprecated in favour of `price_sdt` (phone channel) in newer docs.
    for key in ("price_sdt", "price"):
        try:
            if data.get(key) not in (None, ""):
                return Decimal(str(data[key]))
        except InvalidOperation:
            continue
    return None


def parse_param(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": str(spec.get("name", "")),
        "require": bool(spec.get("require", True)),
        "type": str(spec.get("type") or "STRING"),
        "max_length": as_int(spec.get("maxLength")),
        "min_length": as_int(spec.get("minLength")) or 0,
        "accept_null": bool(spec.get("acceptNull", False)),
    }


def parse_template_info(data: dict[str, Any]) -> dict[str, Any]:
    """A /template/info(/v2) ``data`` object as the fields of our Template model."""
    return {
        "template_id": str(data.get("templateId", "")),
        "name": str(data.get("templateName", ""))[:255],
        "status": str(data.get("status") or "").upper(),
        "tag": normalize_tag(data.get("templateTag")),
        "params": [parse_param(p) for p in data.get("listParams") or [] if p.get("name")],
        "buttons": list(data.get("listButtons") or []),
        "quality": str(data.get("templateQuality") or ""),
        "price": _price(data),
        "preview_url": str(data.get("previewUrl") or "")[:500],
        "timeout_ms": as_int(data.get("timeout")),
        "reason": str(data.get("reason") or ""),
    }


def template_ids(page: list[dict[str, Any]]) -> list[str]:
    """Ids from one /template/all page (ints there, strings in detail)."""
    return [str(item["templateId"]) for item in page if item.get("templateId") not in (None, "")]
