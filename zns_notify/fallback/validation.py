"""A binding's SMS fallback settings, checked before it is saved (Binding.clean), and the
SMS preview the binding's admin page shows."""

from __future__ import annotations

from django.template import Context, TemplateSyntaxError
from django.utils.translation import gettext as _

from zns_notify import sms
from zns_notify.models.sms_triggers import KNOWN
from zns_notify.rendering.engine import RenderLimitExceeded, compile_source

#: What each variable of the SMS text stands for when the text is measured before any
#: order exists: ten GSM-7 characters, about an order code or an amount. The text that is
#: sent is measured again (and refused past SMS_MAX_SEGMENTS) when it is rendered.
SAMPLE_VALUE = "0123456789"


def sample_text(source: str) -> str:
    """``source`` rendered with each variable as :data:`SAMPLE_VALUE`; raises
    TemplateSyntaxError, or RenderLimitExceeded.

    Every variable is unknown here, so each renders as SAMPLE_VALUE (Django then skips
    the filters) and if-tags are false: the text with its literal words, sized."""
    template = compile_source(source, string_if_invalid=SAMPLE_VALUE)
    return template.render(Context({}, autoescape=False))


def preview(binding) -> sms.SmsPreview:
    """The binding's SMS as :func:`zns_notify.sms.preview_sms` measures it (segments,
    encoding, estimated cost), its variables standing for :data:`SAMPLE_VALUE`. Never
    raises: a text that does not compile comes back with ``error``."""
    try:
        return sms.preview_sms(sample_text(binding.sms_text or ""))
    except (TemplateSyntaxError, RenderLimitExceeded) as exc:
        return sms.SmsPreview(
            text="",
            count=None,
            stripped=False,
            cost=None,
            error=_("The SMS text is not a valid template: %(error)s") % {"error": exc},
        )


def problems(binding) -> dict[str, list[str]]:
    """Why the binding's SMS fallback settings cannot be saved, by field."""
    errors: dict[str, list[str]] = {}
    chosen = binding.sms_triggers
    if not isinstance(chosen, list) or not all(isinstance(item, str) for item in chosen):
        errors["sms_triggers"] = [
            _("Give a list of trigger names, e.g. %(example)s.")
            % {"example": '["not_on_zalo", "refused"]'}
        ]
    else:
        unknown = [item for item in chosen if item not in KNOWN]
        if unknown:
            errors["sms_triggers"] = [
                _("Unknown trigger(s): %(unknown)s. Known triggers: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(sorted(KNOWN))}
            ]
    text = binding.sms_text or ""
    if not binding.sms_enabled and not text.strip():
        return errors
    if binding.sms_enabled and not sms.is_enabled():
        errors["sms_enabled"] = [
            _(
                'No SMS provider is configured (ZNS_NOTIFY["SMS_PROVIDER"], '
                "see docs/sms.md); the SMS fallback cannot be turned on."
            )
        ]
    if binding.sms_enabled and not text.strip():
        errors["sms_text"] = [_("Write the SMS text to turn the SMS fallback on.")]
        return errors
    measured = preview(binding)
    if not measured.ok:
        errors.setdefault("sms_text", []).append(
            _("%(error)s (%(summary)s)") % {"error": measured.error, "summary": measured.summary()}
            if measured.count is not None
            else measured.error
        )
    return errors
