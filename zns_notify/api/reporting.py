"""Order events reported through the API: the same pipeline as ``notify()``, made
idempotent on the client's key.

The shop part that reports has no Django order to hand over, so the order is a read-only
:class:`~zns_notify.rendering.reported_order.ReportedOrder` built from the request. Its
messages are keyed like any other (binding, order, event), with ``order_type``
``api.order`` and the client's order reference as ``order_pk``: reporting the same event
of the same order again writes nothing new, whatever the idempotency key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, router, transaction

from zns_notify.events.notify import notify
from zns_notify.models import EventReport, Message
from zns_notify.rendering.reported_order import ReportedOrder


class IdempotencyConflict(Exception):
    """The key was used before with a different body."""


@dataclass(frozen=True)
class Outcome:
    event: str
    order_ref: str
    idempotency_key: str | None
    message_keys: list[str]
    #: True when the key had been seen with this body: nothing was written this time.
    replayed: bool = False

    def messages(self):
        return Message.objects.filter(idempotency_key__in=self.message_keys).order_by("pk")


def body_hash(body: dict[str, Any]) -> str:
    """SHA-256 of the body as canonical JSON, without the idempotency key (which may come
    in the body or in the header): the same request reads the same either way."""
    rest = {k: v for k, v in body.items() if k != "idempotency_key"}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def report_event(
    values: dict[str, Any], *, client: str, key: str | None, request_hash: str
) -> Outcome:
    """Write the event's messages and queue them, in one transaction; with a key, record
    it in that transaction too. A concurrent request with the same key waits on the key's
    unique index until this one commits, then answers as a replay.

    Raises :class:`IdempotencyConflict` when the key was used with another body.
    """
    if key:
        earlier = _earlier(client, key)
        if earlier is not None:
            return _replay(earlier, request_hash)
    using = router.db_for_write(Message)
    try:
        with transaction.atomic(using=using):
            report = None
            if key:
                report = EventReport.objects.using(using).create(
                    client=client,
                    key=key,
                    request_hash=request_hash,
                    event=values["event"],
                    order_ref=values["order_ref"],
                )
            keys = _notify(values)
            if report is not None:
                report.message_keys = keys
                report.save(update_fields=["message_keys"])
    except IntegrityError:
        earlier = _earlier(client, key) if key else None
        if earlier is None:
            raise
        return _replay(earlier, request_hash)
    return Outcome(values["event"], values["order_ref"], key, keys)


def _earlier(client: str, key: str) -> EventReport | None:
    return EventReport.objects.filter(client=client, key=key).first()


def _notify(values: dict[str, Any]) -> list[str]:
    order = ReportedOrder(
        order_ref=values["order_ref"],
        phone=values["phone"],
        customer_name=values["customer_name"],
        total=values["total"],
        data=values["data"],
    )
    messages = notify(
        values["event"], order, development_mode=values["development_mode"], **values["data"]
    )
    return list(messages.order_by("pk").values_list("idempotency_key", flat=True))


def _replay(earlier: EventReport, request_hash: str) -> Outcome:
    if earlier.request_hash != request_hash:
        raise IdempotencyConflict
    return Outcome(
        earlier.event, earlier.order_ref, earlier.key, list(earlier.message_keys), replayed=True
    )
