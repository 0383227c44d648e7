"""A message's whole story, in order, for the log's detail page and the API: enqueued, each
attempt with what was asked of Zalo and what it answered, policy decisions, operators'
notes, webhooks about it (receipts, ratings) and the delivery.

Whatever is shown passes :func:`clean`: secrets are removed wherever they appear (the
access token travels in a header and is never stored, but a payload is never trusted to
be free of one) and the recipient's number is masked for staff without
``zns_notify.view_full_phone``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from zns_notify.display.secrets import shown_attempt
from zns_notify.lib import json_bounds
from zns_notify.lib.json_bounds import rebuild
from zns_notify.lib.phones import mask_phones_in
from zns_notify.log.fallback import step_of, timeline_entries
from zns_notify.log.journeys import timeline_entries as journey_entries
from zns_notify.models import Message, MessageEvent, MessageFeedback, WebhookEvent

#: Keys whose values are secrets, wherever they are nested.
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "appsecret_proof",
        "secret_key",
        "app_secret",
        "code_verifier",
        "oa_secret_key",
        "authorization",
        # The SMS providers' credentials (eSMS's ApiKey/SecretKey), should an answer echo them.
        "apikey",
        "secretkey",
        "api_key",
    }
)
REMOVED = "[removed]"
#: Webhooks about one message, found by its msg_id or tracking id (the webhook table's
#: (event_name, subject) index).
MESSAGE_WEBHOOKS = ("user_received_message", "user_feedback")


@dataclass
class Entry:
    at: dt.datetime | None
    # enqueued, attempt, note, policy, receipt, webhook, feedback, delivered, sms, journey
    kind: str
    label: str
    #: A code, never a label: a message status, or for a webhook its outcome (``applied``…).
    status: str = ""
    error_code: int | None = None
    detail: str = ""
    payload: Any = None
    #: For an operator's resend note: the other message of the pair.
    linked_pk: int | None = None


def clean(value: Any, phone: str, *, full_phone: bool) -> Any:
    """``value`` with secrets removed and, unless ``full_phone``, ``phone`` masked inside
    every string, number and dict key however it is written there, and its SHA-256 (a
    ``HASH_PHONE`` send's ``hash_phone``: Vietnamese mobile numbers are few enough to recover
    one from its hash in seconds, so the hash is the number):
    :func:`~zns_notify.lib.phones.mask_phones_in`.

    Built without recursion and cut at :data:`~zns_notify.lib.json_bounds.MAX_DEPTH`
    levels, so that no stored payload, however deeply nested (a hostile webhook stored
    before the bounds), breaks a page or the renderers after it."""

    def masked(item: Any) -> Any:
        # Strings, and numbers and keys: a number sent as a JSON number is no less visible.
        return mask_phones_in(item, phone)

    masking = not full_phone and bool(phone)
    return rebuild(
        value,
        text=masked if masking else None,
        number=masked if masking else None,
        key=masked if masking else None,
        hide_key=_secret,
        hidden=REMOVED,
    )


def _secret(key: str) -> bool:
    return key.lower() in SECRET_KEYS


def timeline(message: Message, *, full_phone: bool) -> list[Entry]:
    """Every entry about ``message``, oldest first (five indexed queries at most: the
    fourth reads its SMS fallback step, unless the message came with it, the fifth its
    ZNS Journey, when it went under one)."""
    phone = message.phone

    def tidy(value: Any) -> Any:
        return clean(value, phone, full_phone=full_phone)

    entries = [_enqueued(message)]
    kinds = dict(MessageEvent.Kind.choices)
    for event in MessageEvent.objects.filter(message_id=message.pk).order_by("at", "pk"):
        payload = event.payload if isinstance(event.payload, dict) else None
        linked = payload and (payload.get("resent_as") or payload.get("resent_from"))
        entries.append(
            Entry(
                at=event.at,
                kind=event.kind,
                label=str(kinds.get(event.kind, event.kind)),
                status=event.status,
                error_code=event.error_code,
                detail=tidy(event.detail),
                payload=(
                    tidy(shown_attempt(message, payload))
                    if event.kind == MessageEvent.Kind.ATTEMPT
                    else None
                ),
                linked_pk=linked if isinstance(linked, int) else None,
            )
        )
    # A webhook names its message by msg_id, or by tracking id when Zalo sent no msg_id.
    subjects = [subject for subject in (message.msg_id, message.idempotency_key) if subject]
    if subjects:
        webhooks = WebhookEvent.objects.filter(
            event_name__in=MESSAGE_WEBHOOKS, subject__in=subjects
        )
        for hook in webhooks.order_by("received_at", "pk"):
            entries.append(
                Entry(
                    at=hook.received_at,
                    kind="webhook",
                    label=_("Webhook %(event)s") % {"event": hook.event_name},
                    status=hook.outcome,
                    detail=tidy(hook.detail),
                    payload=tidy(json_bounds.loads(hook.body)),
                )
            )
    for rating in MessageFeedback.objects.filter(message_id=message.pk).order_by("pk"):
        entries.append(
            Entry(
                at=rating.submitted_at or rating.received_at,
                kind="feedback",
                label=_("Customer rating"),
                detail=tidy(
                    _("Rating %(rate)s. %(note)s")
                    % {"rate": "" if rating.rate is None else rating.rate, "note": rating.note}
                ).strip(),
                payload=tidy(rating.feedbacks) or None,
            )
        )
    entries.extend(timeline_entries(message, step_of(message), tidy, Entry))
    journey = message.journey if message.journey_id else None
    entries.extend(journey_entries(message, journey, Entry))
    if message.delivered_at:
        entries.append(
            Entry(
                at=message.delivered_at,
                kind="delivered",
                label=_("Delivered to the phone"),
                status=Message.Status.DELIVERED,
                detail=_("The time Zalo reported."),
            )
        )
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    # Stable: entries at the same instant keep the order above (an attempt before its receipt).
    return sorted(entries, key=lambda entry: entry.at or oldest)


def _enqueued(message: Message) -> Entry:
    if message.resent_from_id:
        detail = _("A copy of message #%(pk)s, queued by an operator.") % {
            "pk": message.resent_from_id
        }
    else:
        detail = _("Queued for the event %(event)s of order %(order)s.") % {
            "event": message.event,
            "order": message.order_ref or message.order_pk,
        }
    return Entry(
        at=message.created_at,
        kind="enqueued",
        label=_("Enqueued"),
        status=Message.Status.QUEUED,
        detail=detail,
        linked_pk=message.resent_from_id,
    )


def payload_text(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2)
