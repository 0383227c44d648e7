"""JSON values from outside (a webhook's body, Zalo's answer) kept within bounds.

A JSON document nested a few hundred levels deep is a few kilobytes, passes every size
limit, and breaks any recursive code that walks it: Python's own ``json`` and
``copy.deepcopy``, Django's and DRF's renderers, a recursive cleaner (a ``RecursionError``
on every page that shows it). Everything here walks with an explicit stack, never with
recursion, and cuts what lies deeper than :data:`MAX_DEPTH` (no event or answer Zalo
documents goes past 5 levels) or is longer than :data:`MAX_STRING`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

#: Containers deeper than this are replaced by :data:`TOO_DEEP`.
MAX_DEPTH = 16
#: Strings longer than this are cut (and end with :data:`CUT`).
MAX_STRING = 4000
#: What stands for a container nested deeper than the bound.
TOO_DEEP = "[nested too deep: cut]"
#: Appended to a string cut to :data:`MAX_STRING`.
CUT = "…[cut]"


def depth(value: Any) -> int:
    """How deeply ``value`` nests containers (a scalar: 0, ``{"a": 1}``: 1), iteratively."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        deepest = max(deepest, level + 1)
        stack.extend((child, level + 1) for child in children)
    return deepest


def rebuild(
    value: Any,
    *,
    max_depth: int = MAX_DEPTH,
    max_string: int = MAX_STRING,
    text: Callable[[str], str] | None = None,
    number: Callable[[int | float], Any] | None = None,
    key: Callable[[Any], Any] | None = None,
    hide_key: Callable[[str], bool] | None = None,
    hidden: Any = None,
) -> Any:
    """A copy of ``value`` within bounds, built without recursion.

    Containers deeper than ``max_depth`` become :data:`TOO_DEEP`, strings longer than
    ``max_string`` are cut; ``text`` (if given) rewrites every string value, ``number`` every
    number (not booleans), ``key`` every dict key, and a dict's value whose key ``hide_key``
    accepts becomes ``hidden``. Tuples come back as lists; other scalars as they are."""
    root: list[Any] = [None]
    # (item, the container to put its copy in, the slot there, the item's level)
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 0)]
    while stack:
        item, parent, slot, level = stack.pop()
        if isinstance(item, dict):
            if level >= max_depth:
                parent[slot] = TOO_DEEP
                continue
            copy: dict[Any, Any] = {}
            parent[slot] = copy
            for name, child in item.items():
                new_name = key(name) if key is not None else name
                if hide_key is not None and hide_key(str(name)):
                    copy[new_name] = hidden
                else:
                    copy[new_name] = None  # keeps the keys' order; filled when popped
                    stack.append((child, copy, new_name, level + 1))
        elif isinstance(item, (list, tuple)):
            if level >= max_depth:
                parent[slot] = TOO_DEEP
                continue
            items: list[Any] = [None] * len(item)
            parent[slot] = items
            stack.extend((child, items, index, level + 1) for index, child in enumerate(item))
        elif isinstance(item, str):
            if len(item) > max_string:
                item = item[:max_string] + CUT
            parent[slot] = text(item) if text is not None else item
        elif number is not None and isinstance(item, (int, float)) and not isinstance(item, bool):
            parent[slot] = number(item)
        else:
            parent[slot] = item
    return root[0]


def within_bounds(value: Any, *, max_depth: int = MAX_DEPTH) -> bool:
    """Whether :func:`rebuild` would keep ``value`` as it is (no container too deep, no
    string too long)."""
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, (list, tuple)):
            children = list(item)
        elif isinstance(item, str):
            if len(item) > MAX_STRING:
                return False
            continue
        else:
            continue
        if level >= max_depth:
            return False
        stack.extend((child, level + 1) for child in children)
    return True


def bounded_text(raw: str, value: Any) -> str:
    """The JSON text to store for ``value`` parsed from ``raw``: ``raw`` itself when the
    value is within bounds (the exact bytes received, for audit), else ``value`` rebuilt
    within them."""
    if within_bounds(value):
        return raw
    return json.dumps(rebuild(value), ensure_ascii=False)


def loads(raw: str) -> Any:
    """``raw`` parsed as JSON, or ``raw`` itself when it is not JSON or is nested too deeply
    for Python's parser (whatever was stored before the bounds existed)."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return raw


class TolerantDecoder(json.JSONDecoder):
    """The decoder of a JSONField that holds outside data: a stored value too deeply
    nested for Python's parser reads as :data:`TOO_DEEP` instead of breaking every query
    that loads the row."""

    def decode(self, s: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().decode(s, *args, **kwargs)
        except RecursionError:
            return TOO_DEEP
