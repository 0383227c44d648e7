"""The outbox relay: with :class:`zns_notify.broker.OutboxORM` as django-q2's broker, a
queued Message row is itself the queue entry.

The event hot path then writes the message and nothing else (no queue row, no task to
pickle and sign inside the shop's transaction), and the broker, polling as django-q2's ORM
broker polls its own table, hands due messages to the workers in batches. A row handed
out is leased (``relayed_at``) for django-q2's ``retry`` seconds, so that the next poll
does not hand it out again; the worker's claim clears the lease, and a lease that runs
out (the worker died before claiming) makes the row due again.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from zns_notify.conf import DEFAULT_SEND_BATCH, app_settings
from zns_notify.models import Message

#: Messages per relayed task by default (the ``SEND_BATCH`` setting); a task sends them
#: ``SEND_CONCURRENCY`` at a time within its time budget.
RELAY_BATCH = DEFAULT_SEND_BATCH


#: "Oldest first" for due messages, in the order of the (status, next_attempt_at, id) index:
#: ordering by id alone makes PostgreSQL walk the primary key past every sent message when
#: a backlog builds up (docs/performance.md).
OLDEST_DUE_FIRST = ("next_attempt_at", "pk")


def relay_active(using: str) -> bool:
    """True when django-q2 runs on zns_notify's outbox broker over database ``using``:
    committed queued messages then reach a worker without a queue row of their own."""
    from django_q.conf import Conf

    if Conf.SYNC or not Conf.BROKER_CLASS or Conf.ORM != using:
        return False
    return _is_outbox_broker(Conf.BROKER_CLASS)


@lru_cache(maxsize=8)
def _is_outbox_broker(path: str) -> bool:
    from zns_notify.broker import OutboxORM

    try:
        broker = import_string(path)
    except ImportError:
        return False
    return isinstance(broker, type) and issubclass(broker, OutboxORM)


def lease_duration() -> dt.timedelta:
    from django_q.conf import Conf

    return dt.timedelta(seconds=int(Conf.RETRY or 60))


def claim_due_keys(limit: int | None = None, *, using: str = "default") -> list[str]:
    """Lease up to ``limit`` (default ``SEND_BATCH``) queued, due, unleased messages (oldest
    first); return their keys.

    Each row is taken with a conditional UPDATE, as django-q2's ORM broker takes its
    rows, so two clusters polling the same database never hand out the same row.
    """
    limit = app_settings.SEND_BATCH if limit is None else limit
    now = timezone.now()
    queued = Message.objects.using(using).filter(status=Message.Status.QUEUED)
    free = Q(relayed_at__isnull=True) | Q(relayed_at__lt=now - lease_duration())
    # Fresh rows (no attempt time) and rows that came due (retries, delayed bindings,
    # policy deferrals): two queries, each read in the order of the (status,
    # next_attempt_at, id) index and stopping after ``limit``, merged oldest first, so
    # that a steady stream of fresh rows cannot starve due ones.
    fresh = list(
        queued.filter(free, next_attempt_at__isnull=True)
        .order_by(*OLDEST_DUE_FIRST)
        .values_list("pk", "idempotency_key", "relayed_at")[:limit]
    )
    due = list(
        queued.filter(free, next_attempt_at__lte=now)
        .order_by(*OLDEST_DUE_FIRST)
        .values_list("pk", "idempotency_key", "relayed_at")[:limit]
    )
    candidates = sorted(fresh + due, key=lambda row: row[0])[:limit]
    if not candidates:
        return []
    keys = []
    with transaction.atomic(using=using):  # one commit for the batch
        for pk, key, relayed_at in candidates:
            if queued.filter(pk=pk, relayed_at=relayed_at).update(relayed_at=now):
                keys.append(key)
    return keys
