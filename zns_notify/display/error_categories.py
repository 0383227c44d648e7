"""What an operator reads for a message's ``error_category``: the stored value is a code
(``recipient``, ``policy``…) that filters and the API keep; the admin shows its name in the
operator's language."""

from __future__ import annotations

from functools import lru_cache

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def labels() -> dict[str, str]:
    """Every category a message can carry, code → translated name (lazy)."""
    from zns_notify.log.actions import CANCELLED_BY_OPERATOR
    from zns_notify.policy.rules import CATEGORY as POLICY
    from zns_notify.sending.ambiguity import CATEGORY as AMBIGUOUS
    from zns_notify.zalo.errors import ErrorAction

    return {
        str(ErrorAction.RETRY): _("Temporary error"),
        str(ErrorAction.REFRESH): _("Access token refused"),
        str(ErrorAction.RESCHEDULE): _("Later (quota or hours)"),
        str(ErrorAction.CONFIG): _("Setup (account, template)"),
        str(ErrorAction.RECIPIENT): _("Recipient"),
        str(ErrorAction.PAYLOAD): _("Message data"),
        POLICY: _("Shop policy"),
        AMBIGUOUS: _("Outcome unknown"),
        CANCELLED_BY_OPERATOR: _("Cancelled by staff"),
    }


def label(category: str) -> str:
    """The name of ``category``; an unknown one (a newer version's) as it is stored."""
    return _names(get_language()).get(category, category)


@lru_cache(maxsize=16)
def _names(language: str | None) -> dict[str, str]:
    # Once per language: the log's list asks for a hundred rows' names per page.
    return {code: str(name) for code, name in labels().items()}
