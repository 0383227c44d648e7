"""django-q2 entry point of the SMS fallback. Takes step references, never instances, and
never raises for the provider's answers (django-q2 would re-run a raising task)."""

from __future__ import annotations

from . import fallback_sending


def send_fallbacks(references: list[str]) -> int:
    """Send the due SMS steps among ``references``; return how many outcomes were ours."""
    return sum(fallback_sending.send(reference) is not None for reference in references)
