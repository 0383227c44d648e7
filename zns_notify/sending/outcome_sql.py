"""The worker's most frequent write, built once: a claimed message marked sent.

Django's ORM spends a few hundred microseconds building each UPDATE, about as much as a
batch spends on the rest of a message's outcome; at hundreds of sends a second that is
worth one statement compiled per database (from the model's ``_meta``, never a
hand-written column list, so it follows migrations) and rendered by the backend's own
operations, as the event hot path does (:mod:`zns_notify.events.outbox_sql`).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.db import connections, router

from zns_notify.models import Message


@lru_cache(maxsize=8)
def _mark_sent_sql(alias: str) -> str:
    qn = connections[alias].ops.quote_name
    meta = Message._meta

    def col(name: str) -> str:
        return qn(meta.get_field(name).column)

    return (
        f"UPDATE {qn(meta.db_table)} SET {col('status')} = %s, {col('msg_id')} = %s, "
        f"{col('sent_at')} = %s, {col('error_code')} = NULL, {col('error_category')} = '', "
        f"{col('error_message')} = '', {col('next_attempt_at')} = NULL, "
        f"{col('journey')} = %s, {col('journey_fallback')} = %s "
        f"WHERE {col('id')} = %s AND {col('attempts')} = %s AND {col('status')} = %s"
    )


def mark_sent(message: Message, msg_id: str, sent_at: dt.datetime) -> bool:
    """``sending`` → ``sent`` with Zalo's ``msg_id`` and the message's ``journey`` and
    ``journey_fallback`` (ZNS Journey), only if the row is still this worker's claim (same
    ``attempts``, the fencing token); False when it is not."""
    alias = router.db_for_write(Message)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(
            _mark_sent_sql(alias),
            [
                Message.Status.SENT,
                msg_id,
                connection.ops.adapt_datetimefield_value(sent_at),
                message.journey_id,
                message.journey_fallback,
                message.pk,
                message.attempts,
                Message.Status.SENDING,
            ],
        )
        return cursor.rowcount == 1
