"""What a delivery receipt does to the message's SMS fallback step, in its transaction.

Called after the receipt's UPDATE of the message row (which locks it; see the lock order
in :mod:`zns_notify.fallback.sending`). A step not claimed yet is cancelled: the
customer got the ZNS message, no SMS goes out. A step whose SMS went out already is the
double cost: flagged, and noted on the message's timeline. A step being sent is left to
its worker, whose outcome write sees the receipt and flags the double cost itself.

This runs for every receipt, most of them for messages without a step: the webhook reads
the step's status with the message, in the same statement
(:func:`zns_notify.receipts.matching.find_message_row`), so those cost nothing more; only a
message with a step pays for the UPDATE (and its timeline note).
"""

from __future__ import annotations

from functools import lru_cache

from django.db import connections, router
from django.utils import timezone
from django.utils.translation import gettext as _

from zns_notify.fallback.sending import double_cost_note
from zns_notify.lib.clock import local_day
from zns_notify.models import MessageEvent, ReportDay
from zns_notify.models.fallback import FallbackStep

SCHEDULED, SENT = FallbackStep.Status.SCHEDULED.value, FallbackStep.Status.SENT.value
CANCELLED, NOTE = FallbackStep.Status.CANCELLED.value, MessageEvent.Kind.NOTE.value


@lru_cache(maxsize=8)
def _statements(alias: str) -> tuple[str, str, str]:
    """The step's SELECT (locked), the cancellation and the timeline note's INSERT, in plain
    SQL built once from the models' _meta (the ORM costs more than these statements)."""
    connection = connections[alias]
    qn = connection.ops.quote_name
    step, event = FallbackStep._meta, MessageEvent._meta

    def col(meta, name: str) -> str:
        return qn(meta.get_field(name).column)

    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    select = (
        f"SELECT {col(step, 'status')} FROM {qn(step.db_table)} "
        f"WHERE {col(step, 'message')} = %s{lock}"
    )
    cancel = (
        f"UPDATE {qn(step.db_table)} SET {col(step, 'status')} = %s, "
        f"{col(step, 'cancelled_at')} = %s "
        f"WHERE {col(step, 'message')} = %s AND {col(step, 'status')} = %s"
    )
    note = (
        f"INSERT INTO {qn(event.db_table)} ({col(event, 'message')}, {col(event, 'kind')}, "
        f"{col(event, 'at')}, {col(event, 'status')}, {col(event, 'error_code')}, "
        f"{col(event, 'detail')}) VALUES (%s, %s, %s, '', NULL, %s)"
    )
    return select, cancel, note


#: ``on_receipt``'s default: the caller did not read the step's status with the message.
LOOK_UP = "look-up"


def on_receipt(message_pk: int, known_status: str | None = LOOK_UP) -> str:
    """Cancel the message's pending SMS, or flag its double cost; return what was done
    ("", "cancelled" or "double_cost").

    ``known_status``: the step's status as the caller read it with the message row. None
    (no step) ends here without a statement. "scheduled" goes straight to the conditional
    cancellation, which sees the step as it is now. Any other status is read again: the
    caller's statement may have waited for the message's lock, and on PostgreSQL it then
    still sees the step as it was when it started (an SMS outcome committed meanwhile). A
    step that was created while it waited can only be "scheduled", and its claim, which
    sees the message delivered, cancels it.
    """
    if known_status is None:
        return ""  # the common case: no fallback for this message
    alias = router.db_for_write(FallbackStep)
    connection = connections[alias]
    select, cancel, note = _statements(alias)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:

        def read() -> str | None:
            cursor.execute(select, [message_pk])
            row = cursor.fetchone()
            return row[0] if row else None

        status = SCHEDULED if known_status == SCHEDULED else read()
        if status == SCHEDULED:
            cursor.execute(cancel, [CANCELLED, now, message_pk, SCHEDULED])
            if cursor.rowcount == 1:
                cursor.execute(
                    note,
                    [
                        message_pk,
                        NOTE,
                        now,
                        _("SMS fallback cancelled: Zalo delivered the message."),
                    ],
                )
                return "cancelled"
            status = read()  # claimed meanwhile (before our lock): maybe sent already
    if status == SENT and FallbackStep.objects.using(alias).filter(
        message_id=message_pk, status=SENT, double_cost=False
    ).update(double_cost=True):
        step = (
            FallbackStep.objects.using(alias)
            .select_related("message")
            .only("provider_message_id", "reference", "message__created_at")
            .get(message_id=message_pk)
        )
        _note(
            alias,
            message_pk,
            _("Late delivery after the SMS fallback. %(note)s") % {"note": double_cost_note(step)},
        )
        reopen_report_day(alias, step.message.created_at)
        return "double_cost"
    return ""


def reopen_report_day(alias: str, created_at) -> None:
    """The message's report day may be closed already (its message and step were final,
    rollup.py): the double cost is a change to its figures, so the day is marked open
    for the next refresh, which recomputes it and closes it again. Only on this rare path."""
    ReportDay.objects.using(alias).filter(day=local_day(created_at), open_messages=0).update(
        open_messages=1
    )


def _note(alias: str, message_pk: int, detail: str) -> None:
    MessageEvent.objects.using(alias).create(
        message_id=message_pk, kind=MessageEvent.Kind.NOTE, at=timezone.now(), detail=detail
    )
