"""What an SMS text will be and cost, for previews: never raises for a bad text."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zns_notify.lib.amounts import vnd
from zns_notify.sms.exceptions import SmsInvalidText, SmsTooLong
from zns_notify.sms.registry import estimate_cost
from zns_notify.sms.segments import SegmentCount
from zns_notify.sms.text import prepare_text


@dataclass(frozen=True)
class SmsPreview:
    """The text as it would be sent, its segment count and estimated cost.

    ``error`` (translated) says why it cannot be sent; ``count`` is still given for a
    text that is too long, so a preview can show by how much.
    """

    text: str
    count: SegmentCount | None
    stripped: bool
    cost: Decimal | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def summary(self) -> str:
        """One translated line: "2 segments · UCS-2 · 4 characters left · about 1.700 VND"."""
        if self.count is None:
            return self.error
        parts = [
            ngettext("%(segments)d segment", "%(segments)d segments", self.count.segments)
            % {"segments": self.count.segments},
            self.count.encoding,
            ngettext(
                "%(remaining)d character left",
                "%(remaining)d characters left",
                self.count.remaining,
            )
            % {"remaining": self.count.remaining},
            _("about %(cost)s VND") % {"cost": vnd(self.cost)}
            if self.cost is not None
            else _("cost unknown (set SMS_COST_PER_SEGMENT)"),
        ]
        if self.stripped:
            parts.append(_("diacritics removed"))
        if self.error:
            parts.append(self.error)
        return " · ".join(parts)


def preview_sms(text: str, *, strip: bool | None = None) -> SmsPreview:
    """:func:`prepare_text` for display: problems become ``error`` instead of exceptions."""
    try:
        prepared = prepare_text(text, strip=strip)
    except SmsTooLong as exc:
        return SmsPreview(
            text="",
            count=exc.count,
            stripped=False,
            cost=estimate_cost(exc.count.segments),
            error=str(exc),
        )
    except SmsInvalidText as exc:
        return SmsPreview(text="", count=None, stripped=False, cost=None, error=str(exc))
    return SmsPreview(
        text=prepared.text,
        count=prepared.count,
        stripped=prepared.stripped,
        cost=estimate_cost(prepared.count.segments),
    )
