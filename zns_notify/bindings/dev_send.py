"""The binding editor's "Send test": one message in Zalo's development mode to a phone the
operator types, through the normal pipeline (an outbox row the worker sends).

A test message has its own idempotency key (hence tracking_id), random, in the format of
every other key (``zns`` + 40 hex digits), derived from a different input than the
(binding, order, event) keys of :func:`zns_notify.events.outbox.idempotency_key`, so it can
neither collide with a real message nor stop one being written later. It is not linked to
the binding: the binding's condition is about a real event of the order, and the policy
would re-check it against this test; the timeline's first note says which binding, order
and user it came from.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from django.db import router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zns_notify.bindings.preview import Preview
from zns_notify.conf import app_settings
from zns_notify.events.outbox import enqueue
from zns_notify.exceptions import ZnsInvalidPhone
from zns_notify.lib.phones import mask, normalize_phone
from zns_notify.models import Message, MessageEvent, Template, ZaloAccount
from zns_notify.rendering.order_data import read_order


class SendTestRefused(Exception):
    """Why the test cannot be sent; the message is the operator's to read."""


def send_test_key() -> str:
    raw = f"test|{uuid.uuid4().hex}".encode()
    return "zns" + hashlib.blake2b(raw, digest_size=20).hexdigest()


@dataclass(frozen=True)
class SendTestRequest:
    template: Template | None
    event: str
    phone: str
    preview: Preview
    #: The real order rendered against, or None for sample data.
    order: object | None = None
    binding_label: str = ""
    user: str = ""


def check(request: SendTestRequest) -> str:
    """The normalized phone, or raise :class:`SendTestRefused` with the reason."""
    try:
        phone = normalize_phone(request.phone)
    except ZnsInvalidPhone as exc:
        raise SendTestRefused(str(exc)) from exc
    if request.event not in app_settings.EVENTS:  # posted by the page: anything may come
        raise SendTestRefused(
            _("Unknown event %(event)s. Choose one of the shop's events: %(known)s.")
            % {"event": request.event[:64], "known": ", ".join(app_settings.EVENTS)}
        )
    template = request.template
    if template is None:
        raise SendTestRefused(_("Choose a template first."))
    if not template.is_sendable:
        raise SendTestRefused(
            _("Template %(id)s is %(status)s on Zalo; only ENABLE templates can be sent.")
            % {"id": template.template_id, "status": template.status}
        )
    account = ZaloAccount.objects.current()
    if account is None or not account.is_connected:
        raise SendTestRefused(_("No connected Zalo account: connect the OA before sending a test."))
    if account.needs_reconnect:
        raise SendTestRefused(_("The Zalo account needs reconnecting before anything can be sent."))
    problems = [p.problem for p in request.preview.params if p.problem] + request.preview.problems
    if problems:
        raise SendTestRefused(
            _("The binding cannot be sent as it is: %(problems)s")
            % {"problems": " ".join(problems)}
        )
    return phone


def send(request: SendTestRequest) -> Message:
    """Write the test message and queue it for the worker (raise SendTestRefused first)."""
    phone = check(request)
    facts = read_order(request.order) if request.order is not None else None
    using = router.db_for_write(Message)
    with transaction.atomic(using=using):
        message = Message.objects.using(using).create(
            idempotency_key=send_test_key(),
            event=request.event,
            template=request.template,
            zalo_template_id=request.template.template_id,
            order_type=facts.order_type if facts else "",
            order_pk=facts.order_pk if facts else "",
            order_ref=facts.order_ref[:64] if facts else "",
            phone=phone,
            params=request.preview.values,
            development_mode=True,
            created_at=timezone.now(),
        )
        source = (_("order %(order)s") % {"order": facts.order_ref}) if facts else _("sample data")
        MessageEvent.objects.using(using).create(
            message=message,
            kind=MessageEvent.Kind.NOTE,
            status=message.status,
            detail=_(
                "Test send in development mode from binding %(binding)s, rendered with "
                "%(source)s, to %(phone)s, by %(user)s."
            )
            % {
                "binding": request.binding_label,
                "source": source,
                "phone": mask(phone),
                "user": request.user,
            },
        )
        with transaction.get_connection(using).cursor() as cursor:
            enqueue([message.idempotency_key], cursor=cursor)
    return message
