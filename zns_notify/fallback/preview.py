"""The binding editor's SMS preview: the binding's SMS text rendered as the customer would
receive it, against the same order or sample data as the ZNS preview.

The worker renders the text with the ZNS variables plus ``params`` (the rendered ZNS
parameters, :func:`zns_notify.fallback.texts.sms_context`); the preview does the same
with the params the editor renders, then prepares it exactly as the worker would
(:func:`zns_notify.sms.preview_sms`: diacritics stripped when ``SMS_STRIP_DIACRITICS``,
segments, encoding, cost, the ``SMS_MAX_SEGMENTS`` limit). It never raises: a text that
does not compile or render comes back with its problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template import Context
from django.utils.translation import gettext as _

from zns_notify import sms
from zns_notify.rendering.params import compile_expression, render_compiled


@dataclass(frozen=True)
class SmsShown:
    """What the editor shows under the SMS text."""

    enabled: bool
    source: str  # what the operator typed
    measured: sms.SmsPreview | None  # None: nothing typed

    @property
    def problem(self) -> str:
        return self.measured.error if self.measured is not None else ""

    def as_json(self, text: str) -> dict[str, Any]:
        """``text``: the prepared text as this reader may see it (the phone masked)."""
        count = self.measured.count if self.measured is not None else None
        cost = self.measured.cost if self.measured is not None else None
        return {
            "enabled": self.enabled,
            "text": text,
            "summary": self.measured.summary() if self.measured is not None else "",
            "segments": count.segments if count is not None else None,
            "encoding": count.encoding if count is not None else "",
            "remaining": count.remaining if count is not None else None,
            "cost": str(cost) if cost is not None else None,
            "stripped": bool(self.measured and self.measured.stripped),
            "problem": self.problem,
        }


def render_sms(source: str, context: dict[str, Any], params: dict[str, str]) -> sms.SmsPreview:
    """``source`` rendered over ``context`` plus ``params``, then measured for sending."""
    try:
        template = compile_expression(source)
        rendered = render_compiled(
            template, Context({**context, "params": dict(params)}, autoescape=False)
        )
    except Exception as exc:  # noqa: BLE001 a syntax error, or the host's model code
        return sms.SmsPreview(
            text="",
            count=None,
            stripped=False,
            cost=None,
            error=_("The SMS text does not render: %(error)s")
            % {"error": f"{type(exc).__name__}: {exc}"},
        )
    return sms.preview_sms(rendered)


def sms_preview(
    *, enabled: bool, source: str, context: dict[str, Any], params: dict[str, str]
) -> SmsShown:
    source = source or ""
    if not source.strip():
        return SmsShown(enabled=enabled, source=source, measured=None)
    return SmsShown(enabled=enabled, source=source, measured=render_sms(source, context, params))
