"""The OA's sending quality the sandbox answers on ``GET /quality`` (zns-api.md §6), set with
the ``oa_current_quality`` / ``oa_7day_quality`` knobs of ``POST /_sandbox/config``."""

from __future__ import annotations

from typing import Any

#: Zalo's words, best first; UNDEFINED: too few messages to judge.
LEVELS = ("HIGH", "MEDIUM", "LOW", "UNDEFINED")
#: The knob of each figure, and Zalo's key for it in the answer.
KNOBS = {"oa_current_quality": "oaCurrentQuality", "oa_7day_quality": "oa7dayQuality"}


def quality_knob(name: str, value: Any) -> str | None:
    """A level (any case), or None for an answer without that figure (ValueError if bad)."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().upper() in LEVELS:
        return value.strip().upper()
    raise ValueError(f"{name} must be one of {', '.join(LEVELS)} or null (left out)")


def quality_data(config: Any) -> dict[str, str]:
    """``data`` of the answer: each figure the knobs set, a figure set to null left out."""
    values = {key: getattr(config, knob) for knob, key in KNOBS.items()}
    return {key: value for key, value in values.items() if value is not None}
