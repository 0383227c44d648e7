"""docs/oscar.md's code blocks, by the file they go into.

The page's convention (stated at its top, the same as the quickstart's): a ```python block
whose first line is a comment naming a file (``# settings.py``, ``# checkout/views.py``)
is appended to that file; other blocks are illustrations."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[4] / "docs" / "oscar.md"
BLOCK = re.compile(r"^```python\n# (?P<path>[\w./-]+\.py)\n(?P<body>.*?)^```$", re.M | re.S)


def blocks(doc: str | None = None) -> list[tuple[str, str]]:
    """(file, code) of each block the page says where to put, in page order."""
    text = DOC.read_text(encoding="utf-8") if doc is None else doc
    return [(m["path"], m["body"]) for m in BLOCK.finditer(text)]


def code(path: str) -> str:
    """The page's code for ``path``, its blocks joined in page order; a page without one
    is an error (building the project without it would prove nothing)."""
    found = [body for name, body in blocks() if name == path]
    if not found:
        raise LookupError(f"{DOC} has no code block for {path}")
    return "\n".join(found)


def run(path: str, namespace: dict) -> None:
    """Run the page's code for ``path`` in ``namespace`` (a module's globals), as if it
    had been appended to that module."""
    exec(compile(code(path), f"{DOC}:{path}", "exec"), namespace)  # noqa: S102
