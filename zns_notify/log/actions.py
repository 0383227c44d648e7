"""What an operator may do to the message log besides reading it (docs/operators/delivery-log.md):
resend a final message as a new one linked to it, and cancel messages still waiting.

The admin's actions and buttons and the REST API call these functions, so that both check
the same rules, write the same timeline notes and the same audit entries (Django's
``LogEntry``, shown in the admin's history), and send the same signals.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zns_notify.events.outbox import enqueue
from zns_notify.fallback import steps as fallback
from zns_notify.lib.phones import mask_phones
from zns_notify.models import Message, MessageEvent, holds_code
from zns_notify.models.error_categories import CANCELLED_BY_OPERATOR
from zns_notify.sending import cancel as cancelling

logger = logging.getLogger(__name__)

RESEND_PERMISSION = "zns_notify.resend_message"
CANCEL_PERMISSION = "zns_notify.cancel_message"
#: One resend request handles at most this many messages: a resend costs a Zalo message
#: each, and a "select all" over a million rows must not queue them by accident.
MAX_RESEND = 100
#: Only these can be cancelled (zns_notify.sending.cancel).
WAITING = cancelling.WAITING


class Refused(Exception):
    """An operator's request that is not carried out, with the reason to show them."""


def who(user) -> str:
    """How the timeline and the audit name the operator."""
    return user.get_username() if user is not None else ""


def resend_key(original: Message) -> str:
    """A fresh tracking id in the format of every other one (``zns`` + 40 hex digits,
    within Zalo's 48 characters): a copy must never collide with a key
    ``outbox.idempotency_key`` derives, nor with another copy."""
    raw = f"resend|{original.idempotency_key}|{uuid.uuid4().hex}".encode()
    return "zns" + hashlib.blake2b(raw, digest_size=20).hexdigest()


def check_resend(original: Message) -> None:
    """Raise :class:`Refused` when ``original`` cannot be resent."""
    if holds_code(original):
        # A copy would text the same code again: to a customer who stopped waiting for it,
        # after it expired or was used, or while it still works without a new request
        # behind it (no cooldown, no rate limit counted). Only the customer asks for a code.
        raise Refused(
            _(
                "Message #%(pk)s carries a one-time code: a one-time code is never sent "
                "again; ask the customer to request a new one."
            )
            % {"pk": original.pk}
        )
    if not original.is_final:
        raise Refused(
            _(
                "Message #%(pk)s is %(status)s: only a message whose outcome is final (delivered, "
                "undelivered, failed, skipped or cancelled) can be resent."
            )
            % {"pk": original.pk, "status": original.get_status_display()}
        )
    if not original.phone:
        raise Refused(_("Message #%(pk)s has no phone number to send to.") % {"pk": original.pk})
    missing = missing_params(original)
    reason = mask_phones(original.error_message, original.phone)
    if missing == [NO_PARAMS]:
        # No parameters, and nothing says the template needs none: it was never synced or
        # is gone, so empty template_data would likely be refused too.
        raise Refused(
            _(
                "Message #%(pk)s cannot be resent: it has no parameters and its template's "
                "parameters are not known (sync the templates), so Zalo would likely refuse it "
                "and its SMS would go out with blank fields. %(reason)s Fix the binding or the "
                "order's data and send the event again."
            )
            % {"pk": original.pk, "reason": reason}
        )
    if missing:
        # Its rendering failed (or never ran): a copy would send Zalo empty template_data
        # (refused, -111) and then a paid SMS with blank fields.
        raise Refused(
            _(
                "Message #%(pk)s cannot be resent: its parameters %(params)s are empty, so Zalo "
                "would refuse it and its SMS would go out with blank fields. %(reason)s Fix the "
                "binding or the order's data and send the event again."
            )
            % {
                "pk": original.pk,
                "params": ", ".join(missing),
                "reason": reason,
            }
        )


#: What :func:`missing_params` names when a message has no parameters and nothing says its
#: template needs none.
NO_PARAMS = "template_data"


def missing_params(message: Message) -> list[str]:
    """The parameters ``message`` lacks to be sent: its template's required ones that are
    absent or blank; ``[NO_PARAMS]`` when it has none at all and its template's specs are
    not known (deleted since, or never synced: no specs), as only known specs, all optional,
    allow a message without parameters."""
    params = message.params if isinstance(message.params, dict) else {}
    template = message.template if message.template_id else None
    specs = template.param_specs() if template is not None else {}
    missing = [
        name
        for name, spec in specs.items()
        if spec.get("require", True)
        and not spec.get("accept_null", False)
        and not str(params.get(name, "")).strip()
    ]
    if not params and not specs:
        return [NO_PARAMS]
    return missing


def check_no_copy_in_flight(original: Message, using: str) -> None:
    """Raise :class:`Refused` while an earlier copy of ``original`` has no final outcome: a
    double click, or two operators on the same message, must not text the customer twice.
    The copies are found through the original's own notes (its indexed timeline), not
    ``resent_from`` (unindexed, so that the shop's insert pays nothing for it)."""
    notes = (
        MessageEvent.objects.using(using)
        .filter(message_id=original.pk, kind=MessageEvent.Kind.NOTE)
        .values_list("payload", flat=True)
    )
    copies = [
        note["resent_as"]
        for note in notes
        if isinstance(note, dict) and isinstance(note.get("resent_as"), int)
    ]
    waiting = (
        Message.objects.using(using)
        .filter(pk__in=copies)
        .exclude(status__in=Message.FINAL_STATUSES)
        .order_by("-pk")
        .first()
    )
    if waiting is not None:
        raise Refused(
            _(
                "Message #%(pk)s was already resent as message #%(copy)s, which is still "
                "%(status)s: wait for its outcome before resending it again."
            )
            % {"pk": original.pk, "copy": waiting.pk, "status": waiting.get_status_display()}
        )


def resend(original: Message, user) -> Message:
    """Queue a copy of ``original`` (same recipient, template and rendered parameters, a new
    tracking id) linked to it; the worker sends it through the same gate and policy as any
    message. Audited: a note naming ``user`` on both timelines and a ``LogEntry`` each.

    One copy at a time: refused while an earlier copy is still under way
    (:func:`check_no_copy_in_flight`). The original's row is locked while that is checked
    and the copy written, so two concurrent requests cannot both pass the check."""
    check_resend(original)
    now = timezone.now()
    copy = Message(
        idempotency_key=resend_key(original),
        event=original.event,
        binding_id=original.binding_id,
        template_id=original.template_id,
        zalo_template_id=original.zalo_template_id,
        order_type=original.order_type,
        order_pk=original.order_pk,
        order_ref=original.order_ref,
        phone=original.phone,
        params=original.params,
        development_mode=original.development_mode,
        journey_type=original.journey_type,  # under the order's journey, as the original
        status=Message.Status.QUEUED,
        created_at=now,
        resent_from_id=original.pk,
    )
    using = router.db_for_write(Message)
    name = who(user)
    with transaction.atomic(using=using):
        # The row lock (PostgreSQL, MySQL) serialises concurrent resends of one message;
        # SQLite serialises its write transactions anyway. The status read under it is
        # the one that counts: the caller's may be a page old.
        original.status = (
            Message.objects.using(using)
            .select_for_update()
            .values_list("status", flat=True)
            .get(pk=original.pk)
        )
        check_resend(original)
        check_no_copy_in_flight(original, using)
        copy.save(using=using)
        # The copy takes over: the original's SMS still waiting must not go out as well.
        fallback.cancel_for_resend(original, copy, now, using)
        MessageEvent.objects.using(using).bulk_create(
            [
                MessageEvent(
                    message=copy,
                    kind=MessageEvent.Kind.NOTE,
                    at=now,
                    status=copy.status,
                    payload={"user": name, "resent_from": original.pk},
                    detail=_("Resent by %(user)s from message #%(pk)s.")
                    % {"user": name, "pk": original.pk},
                ),
                MessageEvent(
                    message=original,
                    kind=MessageEvent.Kind.NOTE,
                    at=now,
                    status=original.status,
                    payload={"user": name, "resent_as": copy.pk},
                    detail=_("Resent by %(user)s as message #%(pk)s.")
                    % {"user": name, "pk": copy.pk},
                ),
            ]
        )
        _audit(user, copy, ADDITION, _("Resent from message #%(pk)s.") % {"pk": original.pk})
        _audit(user, original, CHANGE, _("Resent as message #%(pk)s.") % {"pk": copy.pk})
        with connections[using].cursor() as cursor:
            enqueue([copy.idempotency_key], cursor=cursor)
    logger.info("zns message %s resent as %s by %s", original.pk, copy.pk, name)
    return copy


@dataclass
class Cancelled:
    """What a cancel request did: the messages cancelled and the others, with why not."""

    cancelled: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def check_cancel(message: Message) -> None:
    if message.status != WAITING:
        raise Refused(
            _(
                "Message #%(pk)s is %(status)s: only a message still waiting to be sent (queued or "
                "deferred) can be cancelled."
            )
            % {"pk": message.pk, "status": message.get_status_display()}
        )


def cancel(message: Message, user) -> bool:
    """Cancel ``message`` if it is still waiting. The UPDATE requires the status it read, so a
    worker that claimed the message meanwhile keeps it (False then: nothing changed). The
    cancellation is announced like a policy cancellation (``message_skipped``, rule
    ``"operator"``), with a timeline note and a ``LogEntry`` naming ``user``."""
    check_cancel(message)
    name = who(user)
    reason = _("Cancelled by %(user)s.") % {"user": name}
    using = router.db_for_write(Message)
    with transaction.atomic(using=using):
        if not cancelling.cancel_waiting(
            message,
            rule=CANCELLED_BY_OPERATOR,
            reason=reason,
            payload={"user": name, "action": "cancel"},
            using=using,
        ):
            return False
        _audit(user, message, CHANGE, reason)
    logger.info("zns message %s cancelled by %s", message.pk, name)
    return True


def cancel_many(queryset, user) -> Cancelled:
    """:func:`cancel` for every message of ``queryset``; the others are reported, not changed."""
    report = Cancelled()
    # The waiting ones are few (the due index finds them); the rest only needs its reason.
    for message in queryset.filter(status=WAITING).order_by("pk").iterator(chunk_size=500):
        if cancel(message, user):
            report.cancelled.append(message.pk)
        else:
            report.refused[message.pk] = _(
                "Message #%(pk)s was picked up by a worker before it could be cancelled."
            ) % {"pk": message.pk}
    return report


def _audit(user, message: Message, flag: int, text: str) -> None:
    if user is None or not getattr(user, "pk", None):
        return  # no account to name (a script): the timeline note still says what happened
    LogEntry.objects.log_actions(user.pk, [message], flag, change_message=text, single_object=True)
