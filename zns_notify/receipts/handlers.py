"""What each Zalo event does: one handler per event name, in :data:`HANDLERS`.

A handler has two parts. ``identity`` names what the event is about (it sets
``incoming.subject``: the msg_id, template id, OA id or journey id) and returns the key that
tells a redelivery from a new event, or None to use the raw body's hash. ``apply`` changes what the
event says changed and returns the stored event's outcome and detail; it runs inside the
transaction that stores the event (:mod:`zns_notify.receipts.inbox`), so a redelivery's
changes roll back with it. An event about a thing we do not know is ``ignored``; one older
than a change already applied (Zalo's retries may come late) is ``stale``.

A message's status only moves forward (queued → sending → sent → delivered). A receipt for
a message already failed or undelivered is a *late delivery*: recorded on the timeline and
in ``delivered_at`` (Zalo may bill it), never a status change
(:mod:`zns_notify.receipts.delivery`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from zns_notify.account import holds, quota
from zns_notify.journeys import billing as journeys
from zns_notify.models import (
    Binding,
    Message,
    MessageFeedback,
    SendingHold,
    Template,
    WebhookEvent,
    ZaloAccount,
)
from zns_notify.receipts.delivery import deliver_at_once, record_receipt
from zns_notify.receipts.matching import find_message_row
from zns_notify.zalo.templates import normalize_status, unknown_status_note
from zns_notify.zalo.webhooks import (
    DAILY_QUOTA,
    FEEDBACK,
    JOURNEY_ACKNOWLEDGED,
    JOURNEY_TIME_OUT,
    RECEIVED,
    TEMPLATE_QUALITY,
    TEMPLATE_STATUS,
    as_object,
    delivery_time,
    from_ms,
    journey_fields,
    message_ids,
    number,
    text,
)

logger = logging.getLogger(__name__)

Outcome = WebhookEvent.Outcome


@dataclass
class Incoming:
    """A verified event, before it is applied."""

    name: str
    payload: dict[str, Any]
    body: str
    app_id: str
    signed_at: dt.datetime | None
    received_at: dt.datetime = field(default_factory=timezone.now)
    subject: str = ""
    dedup_key: str = ""


@dataclass(frozen=True)
class EventHandler:
    #: The event's identity for deduplication (None: the raw body's hash); also sets
    #: ``incoming.subject``.
    identity: Callable[[Incoming], str | None]
    apply: Callable[[Incoming], tuple[str, str]]
    #: ``apply``'s common case and the storing of the event's row (field name → value,
    #: outcome ``applied``) in one statement, where the database allows it; True when it
    #: did both, False when it did nothing and ``apply`` decides (None: no such form).
    apply_at_once: Callable[[Incoming, dict[str, Any]], bool] | None = None


def _find_message(msg_id: str, tracking_id: str, *, lock: bool = False) -> Message | None:
    """By Zalo's msg_id, else by tracking_id (our idempotency key)."""
    messages = Message.objects.select_for_update() if lock else Message.objects.all()
    if msg_id:
        # exclude(msg_id=""): the msg_id index is partial; SQLite uses it only then.
        found = messages.filter(msg_id=msg_id).exclude(msg_id="").order_by().first()
        if found is not None:
            return found
    if tracking_id:
        return messages.filter(idempotency_key=tracking_id).first()
    return None


def _superseded(incoming: Incoming) -> bool:
    """A newer event of the same kind about the same thing was applied already (Zalo's
    retries can deliver an old change after a newer one)."""
    if incoming.signed_at is None:
        return False
    return WebhookEvent.objects.filter(
        event_name=incoming.name,
        subject=incoming.subject,
        outcome=Outcome.APPLIED,
        signed_at__gt=incoming.signed_at,
    ).exists()


def _receipt_identity(incoming: Incoming) -> str | None:
    msg_id, tracking_id = message_ids(incoming.payload)
    incoming.subject = msg_id or tracking_id
    if msg_id:
        return f"msg_id:{msg_id}"
    return f"tracking_id:{tracking_id}" if tracking_id else None


def _delivered_at(incoming: Incoming) -> dt.datetime:
    return delivery_time(incoming.payload) or incoming.signed_at or timezone.now()


def _apply_receipt(incoming: Incoming) -> tuple[str, str]:
    """user_received_message: the message reached the customer's phone."""
    msg_id, tracking_id = message_ids(incoming.payload)
    if not (msg_id or tracking_id):
        return Outcome.IGNORED, "no msg_id or tracking_id"
    delivered_at = _delivered_at(incoming)
    found = find_message_row(msg_id, tracking_id)
    if found is None:
        # Zalo's receipt can beat the worker's write of msg_id: kept, and applied when the
        # worker records the msg_id (matching.apply_early_receipts).
        logger.info("Zalo receipt for %s before its message is known; kept", msg_id)
        return Outcome.UNMATCHED, "no message with this msg_id or tracking_id yet"
    return record_receipt(found[0], delivered_at, msg_id or tracking_id, step_status=found[2])


def _apply_receipt_at_once(incoming: Incoming, event: dict[str, Any]) -> bool:
    """The common receipt (its message found by msg_id, sent, no SMS fallback) applied and
    stored in one statement on PostgreSQL (:func:`.delivery.deliver_at_once`)."""
    msg_id, _tracking_id = message_ids(incoming.payload)
    return deliver_at_once(msg_id, _delivered_at(incoming), event)


def _template_identity(incoming: Incoming) -> None:
    incoming.subject = text(incoming.payload.get("template_id"), 32)
    return None


def _apply_template_status(incoming: Incoming) -> tuple[str, str]:
    """change_template_status: Zalo approved, rejected, disabled or re-enabled a template."""
    status = incoming.payload.get("status")
    if isinstance(status, dict):
        previous, raw = text(status.get("prev_status"), 64), text(status.get("new_status"), 64)
    else:
        previous, raw = "", text(status, 64)
    # Only statuses of our enum are stored (the API's schema lists them): Zalo's spellings
    # map to theirs, anything else is UNKNOWN, its raw value in the note and the log.
    new = normalize_status(raw)
    template = Template.objects.select_for_update().filter(template_id=incoming.subject).first()
    if template is None or not new:
        return Outcome.IGNORED, "unknown template" if template is None else "no new status"
    if _superseded(incoming):
        return Outcome.STALE, "a newer status change was applied already"
    if incoming.signed_at and template.synced_at and incoming.signed_at < template.synced_at:
        # A retry that arrives after a sync read the template from Zalo: the sync is newer.
        return Outcome.STALE, "the last template sync is newer than this change"
    reason = text(incoming.payload.get("reason"), 2000)
    note = _("Zalo changed the status from %(old)s to %(new)s.") % {
        "old": previous or template.status,
        "new": new,
    }
    if new == Template.Status.UNKNOWN:
        note = unknown_status_note(raw, previous or template.status)
        logger.warning(
            "zns template %s: Zalo sent the status %r, which zns_notify does not know; "
            "stored as %s (not sendable)",
            template.template_id,
            raw,
            new,
        )
    Template.objects.filter(pk=template.pk).update(status=new, reason=reason, sync_note=note)
    if new == Template.Status.ENABLE:
        # Its held messages go now; if Zalo still refuses them, the next send holds again.
        holds.release(SendingHold.objects.filter(template=template, until__gt=timezone.now()))
        return Outcome.APPLIED, ""
    bound = Binding.objects.filter(template=template, is_active=True).count()
    if bound:
        # binding_validation.fitness_problems flags them (admin, check W003); the worker
        # holds their messages until the template is ENABLE again.
        logger.warning(
            "zns template %s is now %s on Zalo: %d active binding(s) wait for it",
            template.template_id,
            new,
            bound,
        )
    return Outcome.APPLIED, f"{bound} active binding(s) no longer sendable"


def _apply_template_quality(incoming: Incoming) -> tuple[str, str]:
    """change_template_quality: HIGH, MEDIUM, LOW or UNDEFINED."""
    quality = text(incoming.payload.get("quality"), 16).strip().upper()
    template = Template.objects.filter(template_id=incoming.subject).first()
    if template is None or not quality:
        return Outcome.IGNORED, "unknown template" if template is None else "no quality"
    if _superseded(incoming):
        return Outcome.STALE, "a newer quality change was applied already"
    Template.objects.filter(pk=template.pk).update(quality=quality)
    if quality == "LOW":
        logger.warning("zns template %s quality is LOW on Zalo", template.template_id)
    return Outcome.APPLIED, ""


def _quota_identity(incoming: Incoming) -> None:
    payload = incoming.payload
    incoming.subject = text(payload.get("oaId") or payload.get("oa_id"), 64)
    return None


def _apply_daily_quota(incoming: Incoming) -> tuple[str, str]:
    """change_oa_daily_quota (``oaId`` in camelCase): the OA moved to another tier."""
    values = as_object(incoming.payload.get("quota"))
    new, previous = number(values.get("new_value")), number(values.get("prev_value"))
    if new is None:
        return Outcome.IGNORED, "no new_value"
    # A negative new_value (-1): a tier without a daily limit, recorded as such, never 0.
    account = ZaloAccount.objects.filter(oa_id=incoming.subject).exclude(oa_id="").first()
    if account is None:
        current = ZaloAccount.objects.current()
        account = current if current is not None and not current.oa_id else None
    if account is None:
        return Outcome.IGNORED, "unknown OA"
    if _superseded(incoming):
        return Outcome.STALE, "a newer quota change was applied already"
    row = quota.record_daily_quota(account, min(new, 2**31 - 1), previous)
    logger.info("zns daily quota of OA %s changed: %s -> %s", incoming.subject, previous, new)
    return Outcome.APPLIED, f"daily quota {row.daily_quota}, remaining {row.remaining_quota}"


def _feedback_identity(incoming: Incoming) -> str | None:
    msg_id, tracking_id = message_ids(incoming.payload)
    incoming.subject = msg_id or tracking_id
    submitted = text(as_object(incoming.payload.get("message")).get("submit_time"), 20)
    return f"{msg_id}|{tracking_id}|{submitted}" if (msg_id or tracking_id) else None


def _apply_feedback(incoming: Incoming) -> tuple[str, str]:
    """user_feedback: the customer's answer to a rating template."""
    data = incoming.payload.get("message")
    if not isinstance(data, dict):
        return Outcome.IGNORED, "no message object"
    msg_id, tracking_id = message_ids(incoming.payload)
    message = _find_message(msg_id, tracking_id) if (msg_id or tracking_id) else None
    rate = number(data.get("rate"))
    answers = data.get("feedbacks")
    MessageFeedback.objects.create(
        message=message,
        msg_id=msg_id,
        tracking_id=tracking_id,
        rating_type=text(data.get("rating_type"), 32),
        option=text(data.get("option"), 32),
        rate=rate if rate is not None and -32768 <= rate <= 32767 else None,
        note=text(data.get("note"), 2000),
        feedbacks=[text(a, 500) for a in answers[:50]] if isinstance(answers, list) else [],
        submitted_at=from_ms(data.get("submit_time")),
        received_at=incoming.received_at,
    )
    if message is None:
        return Outcome.UNMATCHED, "rating stored without its message"
    return Outcome.APPLIED, ""


def _journey_identity(incoming: Incoming) -> str | None:
    incoming.subject = journey_fields(incoming.payload).journey_id
    return f"journey:{incoming.subject}" if incoming.subject else None


def _journey(incoming: Incoming):
    fields = journey_fields(incoming.payload)
    return journeys.find(fields.journey_id, fields.phone)


def _apply_journey_acknowledged(incoming: Incoming) -> tuple[str, str]:
    """event_journey_acknowledged: Zalo billed the journey (its first message went out)."""
    journey = _journey(incoming)
    if journey is None:
        return Outcome.IGNORED, "unknown journey"
    if not journeys.acknowledge(journey, incoming.signed_at or incoming.received_at):
        return Outcome.STALE, "the journey was acknowledged already"
    return Outcome.APPLIED, ""


def _apply_journey_time_out(incoming: Incoming) -> tuple[str, str]:
    """event_journey_time_out: Zalo ended the journey; its next message starts a new one."""
    journey = _journey(incoming)
    if journey is None:
        return Outcome.IGNORED, "unknown journey"
    if not journeys.time_out(journey, incoming.signed_at or incoming.received_at):
        return Outcome.STALE, "the journey had ended already"
    return Outcome.APPLIED, ""


HANDLERS: dict[str, EventHandler] = {
    RECEIVED: EventHandler(_receipt_identity, _apply_receipt, _apply_receipt_at_once),
    TEMPLATE_STATUS: EventHandler(_template_identity, _apply_template_status),
    TEMPLATE_QUALITY: EventHandler(_template_identity, _apply_template_quality),
    DAILY_QUOTA: EventHandler(_quota_identity, _apply_daily_quota),
    FEEDBACK: EventHandler(_feedback_identity, _apply_feedback),
    JOURNEY_ACKNOWLEDGED: EventHandler(_journey_identity, _apply_journey_acknowledged),
    JOURNEY_TIME_OUT: EventHandler(_journey_identity, _apply_journey_time_out),
}
