"""Parsers of the values a shop writes in its ``ZNS_NOTIFY`` settings, for
:mod:`zns_notify.conf`.

Each takes the raw value (already defaulted) and returns it typed, or raises
:class:`~zns_notify.exceptions.ZnsConfigurationError` naming the key and what it must be.
Nothing here reads the settings: :data:`zns_notify.conf.app_settings` reads them live on
each access and hands the value over.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from zns_notify.exceptions import ZnsConfigurationError


def invalid(key: str, problem: str) -> ZnsConfigurationError:
    """The error for a value of ``ZNS_NOTIFY[key]`` that ``problem`` describes."""
    return ZnsConfigurationError(f'ZNS_NOTIFY["{key}"] {problem}')


def seconds_pair(value: Any) -> tuple[float, float]:
    """One number for both, or a (connect, read) pair, as ``requests`` takes timeouts."""
    if isinstance(value, (int, float)):
        return (float(value), float(value))
    return (float(value[0]), float(value[1]))


def nonempty_strings(value: Any) -> list[str]:
    """One string or a list of them, with everything that is not a non-blank string left
    out: an unset environment variable in the list (None) must never become a key anybody
    could sign with, such as "None"."""
    values = [value] if isinstance(value, str) else list(value)
    return [item for item in values if isinstance(item, str) and item.strip()]


def counts_by_tag(value: Any) -> dict[str, int]:
    """``{tag: n}`` with string tags and whole counts (None counts as 0)."""
    return {str(tag): int(n or 0) for tag, n in value.items()}


def cap_by_tag(value: Any, defaults: dict[str, int]) -> dict[str, int]:
    """``defaults`` when unset (None); one number for every tag as ``{"*": n}``; a dict
    over ``defaults``, tag by tag.

    A dict that names ``"*"`` (every tag it does not name) is read as written: the shop has
    said what every tag gets, so no default is left to apply. Without ``"*"``, the tags it
    names replace their defaults and the others keep them: ``{"PROMOTION": 1}`` tightens
    promotions without uncapping customer care."""
    if value is None:
        return dict(defaults)
    try:
        written = counts_by_tag(value) if isinstance(value, dict) else {"*": int(value)}
    except (TypeError, ValueError):
        written = None
    if written is None or isinstance(value, bool) or min(written.values(), default=0) < 0:
        raise invalid(
            "RECIPIENT_DAILY_CAP",
            f"is {value!r}; use a whole number (0: no cap) or a dict of them by tag.",
        )
    return written if "*" in written else {**defaults, **written}


def windows_by_tag(value: Any) -> dict[str, tuple[str, str]]:
    """``{tag: (start, end)}`` with the empty windows left out."""
    return {str(tag): (str(window[0]), str(window[1])) for tag, window in value.items() if window}


def options(key: str, value: Any) -> dict[str, Any]:
    """A copy of a dict of options."""
    if not isinstance(value, dict):
        raise invalid(key, "must be a dict.")
    return dict(value)


def whole_number(key: str, value: Any, low: int, high: int) -> int:
    """An int from ``low`` to ``high`` (a bool or a float is refused, not rounded)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(key, f"must be a whole number from {low} to {high}.")
    return value


def price(key: str, value: Any) -> Decimal | None:
    """A price in VND, 0 or more, exact (a Decimal read from the value's text); None stays
    None (unknown)."""
    if value is None:
        return None
    try:
        cost = Decimal(str(value))
    except InvalidOperation:
        cost = Decimal(-1)
    if isinstance(value, bool) or not cost.is_finite() or cost < 0:
        raise invalid(key, "must be a price in VND (0 or more).")
    return cost


def one_of(key: str, value: Any, choices: tuple[str, ...]) -> str:
    """``value`` as a string, when it is one of ``choices``."""
    value = str(value)
    if value not in choices:
        raise invalid(key, f"is {value!r}; use one of {', '.join(choices)}.")
    return value
