"""Hands a new code to Zalo: the ZNS ``Message`` for the OTP template, written and
enqueued by the event path's own step (:func:`zns_notify.events.outbox.store_rows`).

:func:`zns_notify.otp.service.request_code` calls :func:`send_code` inside the
transaction that stores the challenge: the message, its queue entry and the challenge
commit or roll back together, and a broker outside the database is pushed only after the
commit, as for order events. Development mode is the message's, as for any other.

The code is in the message's parameters in clear, because Zalo needs it there; every
display an operator reads hides it (:mod:`zns_notify.display.secrets`). The code goes out
from the requesting process right after the commit (:mod:`zns_notify.otp.lane`); its SMS
fallback: :mod:`zns_notify.fallback.codes`.
"""

from __future__ import annotations

import hashlib
from functools import partial

from django.db import router, transaction

from zns_notify.conf import app_settings
from zns_notify.events.outbox import (
    mark_unsent,
    store_rows,
    template_not_enabled,
)
from zns_notify.exceptions import ZnsRenderError
from zns_notify.lib import clock
from zns_notify.models import Message, OtpChallenge, Template, otp_event
from zns_notify.otp import lane
from zns_notify.otp.template import otp_template
from zns_notify.rendering.params import render_params
from zns_notify.zalo.errors import ErrorAction


def message_key(challenge_pk: int) -> str:
    """The message's idempotency key (also Zalo's tracking_id): one message per challenge,
    46 characters of [a-z0-9], unlike any order event's (those start "zns" + hex)."""
    digest = hashlib.blake2b(f"otp|{challenge_pk}".encode(), digest_size=20).hexdigest()
    return "znsotp" + digest


def _row(challenge: OtpChallenge, code: str) -> dict:
    template, code_param = otp_template()
    now = clock.now()
    row = {
        "idempotency_key": message_key(challenge.pk),
        "event": otp_event(challenge.purpose),
        "order_type": "",
        "order_pk": str(challenge.pk),
        "order_ref": "",
        "phone": challenge.phone,
        "development_mode": app_settings.DEVELOPMENT_MODE,
        "status": Message.Status.QUEUED,
        "created_at": now,
        "binding_id": None,
        "template_id": template.pk,
        "zalo_template_id": template.template_id,
        "params": {},
    }
    if template.status != Template.Status.ENABLE:
        # Unlike an order's message, a code is not held until Zalo allows the template
        # again: it would arrive long after it expired.
        reason = template_not_enabled(template.template_id, template.status)
        return mark_unsent(row, Message.Status.FAILED, ErrorAction.CONFIG, reason)
    try:
        # The template's own rules (length, other required parameters) checked as for a
        # binding whose only expression is the code.
        row["params"] = render_params(
            {code_param: "{{ code }}"}, template.param_specs(), {"code": code}
        )
    except ZnsRenderError as exc:
        return mark_unsent(row, Message.Status.FAILED, ErrorAction.PAYLOAD, str(exc))
    return row


def send_code(challenge: OtpChallenge, code: str) -> None:
    """Write and enqueue the message that sends ``code`` to ``challenge.phone``, and link
    it to the challenge. A template that cannot be found raises
    :class:`~zns_notify.exceptions.ZnsConfigurationError` (the request rolls back); one
    that cannot carry the code writes a failed message with the reason."""
    row = _row(challenge, code)
    queued = [row["idempotency_key"]] if row["status"] == Message.Status.QUEUED else []
    using = router.db_for_write(Message)
    with transaction.get_connection(using).cursor() as cursor:
        store_rows(cursor, [row], queued, row["created_at"])
    challenge.message_id = (
        Message.objects.using(using)
        .values_list("pk", flat=True)
        .get(idempotency_key=row["idempotency_key"])
    )
    challenge.channel = OtpChallenge.Channel.ZNS
    challenge.save(update_fields=["message", "channel"])
    if queued and app_settings.OTP_SEND_FROM_REQUEST:
        # The priority lane: sent from here once the request commits, not from the end
        # of the queue (zns_notify.otp.lane); rolled back, it sends nothing.
        transaction.on_commit(partial(lane.send_now, row["idempotency_key"]), using=using)
