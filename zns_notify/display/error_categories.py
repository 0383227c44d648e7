"""What an operator reads for a message's ``error_category``: the stored value is a code
(``recipient``, ``policy``…) that filters and the API keep; the admin shows its name in the
operator's language. The codes and their names: :mod:`zns_notify.models.error_categories`."""

from __future__ import annotations

from functools import lru_cache

from django.utils.translation import get_language, gettext

from zns_notify.models.error_categories import labels


def label(category: str) -> str:
    """The name of ``category``; an unknown one (a newer version's) as it is stored."""
    return _names(get_language()).get(category, category)


def category_labels() -> dict[str, str]:
    """``Message.error_category`` value -> what an operator reads, "No category" for none
    (one vocabulary for the log, its filter and the reports)."""
    return {**{code: str(name) for code, name in labels().items()}, "": gettext("No category")}


@lru_cache(maxsize=16)
def _names(language: str | None) -> dict[str, str]:
    # Once per language: the log's list asks for a hundred rows' names per page.
    return {code: str(name) for code, name in labels().items()}
