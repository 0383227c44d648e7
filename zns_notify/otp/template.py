"""Which synced Zalo template carries the codes, and which of its parameters holds the
code. Read by the sending step: it writes the message with the answer, or reports the
refusal, which names the setting to fix.

Zalo's template detail does not say a template is an authentication one (its
``template_type`` is only given when creating it); what the synced row may show is a
parameter typed OTP (type code 12, or ``"OTP"``) or the old ``OTP`` tag. A shop whose
templates show neither names them with ``OTP_TEMPLATE_ID`` and ``OTP_CODE_PARAM``.
"""

from __future__ import annotations

from typing import NamedTuple

from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.models import Template

#: The values of a parameter spec's ``type`` that mean "a one-time code" (zns-api.md §9).
OTP_PARAM_TYPES = frozenset({"OTP", "12"})


class OtpTemplate(NamedTuple):
    template: Template
    code_param: str


def _is_code_param(spec: dict) -> bool:
    return str(spec.get("type", "")).strip().upper() in OTP_PARAM_TYPES


def _looks_like_otp(template: Template) -> bool:
    return template.zalo_tag.upper() == "OTP" or any(map(_is_code_param, template.params))


def _template() -> Template:
    chosen = app_settings.OTP_TEMPLATE_ID
    if chosen:
        template = Template.objects.filter(template_id=chosen).first()
        if template is None:
            raise ZnsConfigurationError(
                f'ZNS_NOTIFY["OTP_TEMPLATE_ID"] is {chosen!r}, which is not among the synced '
                "templates: sync them (manage.py zns_sync_templates) or fix the id."
            )
        return template
    found = [
        template
        for template in Template.objects.filter(status=Template.Status.ENABLE)
        if _looks_like_otp(template)
    ]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ZnsConfigurationError(
            "No enabled synced template has an OTP parameter or the OTP tag: set "
            'ZNS_NOTIFY["OTP_TEMPLATE_ID"] to your authentication template\'s id.'
        )
    ids = ", ".join(sorted(template.template_id for template in found))
    raise ZnsConfigurationError(
        f"Several synced templates look like OTP templates ({ids}): "
        'set ZNS_NOTIFY["OTP_TEMPLATE_ID"].'
    )


def _code_param(template: Template) -> str:
    names = [str(spec.get("name", "")) for spec in template.params]
    chosen = app_settings.OTP_CODE_PARAM
    if chosen:
        if chosen not in names:
            raise ZnsConfigurationError(
                f'ZNS_NOTIFY["OTP_CODE_PARAM"] is {chosen!r}, which template '
                f"{template.template_id} does not have "
                f"(its parameters: {', '.join(names) or 'none'})."
            )
        return chosen
    typed = [str(spec.get("name", "")) for spec in template.params if _is_code_param(spec)]
    if len(typed) == 1:
        return typed[0]
    if not typed and len(names) == 1:
        return names[0]  # an authentication template with one parameter: it is the code
    raise ZnsConfigurationError(
        f"Template {template.template_id} does not say which parameter holds the code: "
        'set ZNS_NOTIFY["OTP_CODE_PARAM"].'
    )


def otp_template() -> OtpTemplate:
    """The OTP template and its code parameter, or a :class:`ZnsConfigurationError` that
    names the setting to fix."""
    template = _template()
    return OtpTemplate(template, _code_param(template))
