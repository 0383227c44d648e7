"""The SMS's text: a binding's SMS text rendered over the order as it is now, or for a
one-time code's message ``OTP_SMS_TEXT`` (:mod:`zns_notify.fallback.codes`)."""

from __future__ import annotations

import datetime as dt

from django.template import Context
from django.utils import timezone
from django.utils.translation import gettext as _

from zns_notify import sms
from zns_notify.fallback import codes
from zns_notify.models import FallbackStep, Message, holds_code
from zns_notify.rendering.conditions import reread_order, send_time_context
from zns_notify.rendering.params import compile_expression, render_compiled


def render_text(step: FallbackStep, now: dt.datetime | None = None) -> str:
    """The binding's SMS text over the same variables as the ZNS parameters (the order
    re-read now, as a condition sees it) plus ``params``, the rendered ZNS parameters."""
    message = step.message
    if holds_code(message):
        return codes.sms_text(message)
    binding = message.binding
    if binding is None or not binding.sms_text.strip():
        raise sms.SmsInvalidText(
            _("The message's binding has no SMS text (it was deleted or its SMS text emptied).")
        )
    now = now or timezone.now()
    order = reread_order(message.order_type, message.order_pk)
    context = sms_context(message, order, now)
    try:
        return render_compiled(
            compile_expression(binding.sms_text), Context(context, autoescape=False)
        )
    except Exception as exc:  # a syntax error saved before validation, or the host's code
        raise sms.SmsInvalidText(
            _("The SMS text does not render: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}
        ) from exc


def sms_context(message: Message, order, now: dt.datetime) -> dict:
    if order is not None:
        context = send_time_context(message, order, now)
    else:  # an order reported through the REST API, or deleted: what the message kept
        context = {
            "order": None,
            "customer_name": "",
            "order_code": message.order_ref,
            "phone": message.phone,
            "event": message.event,
            "now": now,
        }
    context["params"] = dict(message.params or {})
    return context
