"""What a delivery receipt does to the message's SMS fallback step, in its transaction.

Called after the receipt's UPDATE of the message row (which locks it; see the lock order
in :mod:`zns_notify.fallback_sending`). A step not claimed yet is cancelled: the
customer got the ZNS message, no SMS goes out. A step whose SMS went out already is the
double cost: flagged, and noted on the message's timeline. A step being sent is left to
its worker, whose outcome write sees the receipt and flags the double cost itself.

This runs for every receipt, most of them for messages without a step: the webhook reads
the step's status with the message, in the same statement
(:func:`zns_notify.webhook_events._find_message_row`), so those cost nothing more; only a
message with a step pays for the UPDATE (and its timeline note).
"""

from __future__ import annotations

from functools import lru_cache

from django.db import connections, router
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import MessageEvent
from .models_fallback import FallbackStep

SCHEDULED, SENT = FallbackStep.Status.SCHEDULED.value, FallbackStep.Status.SENT.value


@lru_cache(maxsize=8)
def _select_sql(alias: str) -> str:
    connection = connections[alias]
    qn, meta = connection.ops.quote_name, FallbackStep._meta
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return (f"SELECT {qn('id')}, {qn(meta.get_field('status').column)}, "
            f"{qn(meta.get_field('double_cost').column)} FROM {qn(meta.db_table)} "
            f"WHERE {qn(meta.get_field('message').column)} = %s{lock}")


#: ``on_receipt``'s default: the caller did not read the step's status with the message.
LOOK_UP = "look-up"


def on_receipt(message_pk: int, known_status: str | None = LOOK_UP) -> str:
    """Cancel the message's pending SMS, or flag its double cost; return what was done
    ("", "cancelled" or "double_cost").

    ``known_status``: the step's status as the caller read it with the message row. None
    (no step) ends here without a statement. Any other status is read again: the caller's
    statement may have waited for the message's lock, and on PostgreSQL it then still
    sees the step as it was when it started (an SMS outcome committed meanwhile). A step
    that was created while it waited can only be "scheduled", and its claim, which sees
    the message delivered, cancels it.
    """
    if known_status is None:
        return ""  # the common case: no fallback for this message
    alias = router.db_for_write(FallbackStep)
    with connections[alias].cursor() as cursor:
        cursor.execute(_select_sql(alias), [message_pk])
        row = cursor.fetchone()
    if row is None:
        return ""
    status = row[1]
    now = timezone.now()
    steps = FallbackStep.objects.using(alias).filter(message_id=message_pk)
    if status == SCHEDULED and steps.filter(status=SCHEDULED).update(
            status=FallbackStep.Status.CANCELLED, cancelled_at=now):
        _note(alias, message_pk, _("SMS fallback cancelled: Zalo delivered the message."))
        return "cancelled"
    if status == SENT and steps.filter(
            status=SENT, double_cost=False).update(double_cost=True):
        step = steps.only("provider_message_id", "reference").get()
        from .fallback_sending import double_cost_note

        _note(alias, message_pk, _("Late delivery after the SMS fallback. %(note)s")
              % {"note": double_cost_note(step)})
        return "double_cost"
    return ""


def _note(alias: str, message_pk: int, detail: str) -> None:
    MessageEvent.objects.using(alias).create(
        message_id=message_pk, kind=MessageEvent.Kind.NOTE, at=timezone.now(), detail=detail)
