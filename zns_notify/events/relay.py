"""The outbox relay: with :class:`OutboxORM` as django-q2's broker, a queued Message row is
itself the queue entry.

The event hot path then writes the message and nothing else (no queue row, no task to
pickle and sign inside the shop's transaction), and the broker, polling as django-q2's ORM
broker polls its own table, hands due messages to the workers in batches. A row handed
out is leased (``relayed_at``) for django-q2's ``retry`` seconds (at most ``SEND_LEASE``),
so that the next poll does not hand it out again; the worker's claim clears the lease,
and a lease that runs out (the worker died before claiming) makes the row due again.

Hosts name the broker by its public path, ``zns_notify.broker.OutboxORM`` (the entry point
re-exports it); it lives here, beside the lease it takes, so that :func:`relay_active` can
recognise it without importing upward.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from functools import lru_cache

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.brokers.orm import ORM
from django_q.conf import Conf

from zns_notify.conf import DEFAULT_SEND_BATCH, app_settings
from zns_notify.events.outbox_sql import TASK_SEND, task_package
from zns_notify.models import Message

logger = logging.getLogger(__name__)

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
    if Conf.SYNC or not Conf.BROKER_CLASS or Conf.ORM != using:
        return False
    return _is_outbox_broker(Conf.BROKER_CLASS)


@lru_cache(maxsize=8)
def _is_outbox_broker(path: str) -> bool:
    try:
        broker = import_string(path)
    except ImportError:
        return False
    return isinstance(broker, type) and issubclass(broker, OutboxORM)


def lease_duration() -> dt.timedelta:
    """How long a relayed row waits for its task's worker to claim it: django-q2's
    ``retry``, but never longer than ``SEND_LEASE``, so that the rows a SIGKILLed cluster
    had pulled go out again as soon as its claimed ones (issue 15). A task that waited
    longer in a busy cluster's queue finds them claimed by the next one: no harm."""
    return dt.timedelta(seconds=min(int(Conf.RETRY or 60), app_settings.SEND_LEASE))


def claim_due_keys(
    limit: int | None = None, *, using: str = "default", among: Q | None = None
) -> list[str]:
    """Lease up to ``limit`` (default ``SEND_BATCH``) queued, due, unleased messages (oldest
    first); return their keys. ``among``: only the messages it selects (the one-time codes'
    lane, :mod:`zns_notify.otp.lane`, hands out its own first).

    Each row is taken with a conditional UPDATE, as django-q2's ORM broker takes its
    rows, so two clusters polling the same database never hand out the same row.
    """
    limit = app_settings.SEND_BATCH if limit is None else limit
    now = timezone.now()
    queued = Message.objects.using(using).filter(status=Message.Status.QUEUED)
    if among is not None:
        queued = queued.filter(among)
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


#: Acknowledgement ids of relayed tasks. They have no row in the ORM broker's table: the
#: Message rows record what happened to them.
RELAYED = "zns-relay:"


class OutboxORM(ORM):
    """django-q2's ORM broker, with zns_notify's queued messages as a second source of
    tasks: each poll leases due messages (:func:`claim_due_keys`) and hands them to the
    workers as ``send_messages`` tasks; everything else django-q2 queues goes through the
    ORM broker's table, unchanged."""

    def dequeue(self):
        relayed = self._relay()
        if not relayed:
            return super().dequeue()  # waits Conf.POLL when its table is empty too
        return relayed + self._take_queued_rows()

    def _relay(self) -> list[tuple[str, str]]:
        if self.list_key != (app_settings.QUEUE_CLUSTER or Conf.CLUSTER_NAME):
            return []  # zns_notify's tasks belong to another cluster (QUEUE_CLUSTER)
        self.get_connection()  # closes stale connections, as the ORM broker does
        tasks = []
        per_task = app_settings.SEND_BATCH
        while len(tasks) < max(int(Conf.BULK or 1), 1):
            keys = claim_due_keys(per_task, using=Conf.ORM)
            if not keys:
                break
            package = task_package(TASK_SEND, (keys,), name=f"zns:{keys[0]}")
            tasks.append((f"{RELAYED}{uuid.uuid4().hex}", package))
            if len(keys) < per_task:
                break
        if tasks:
            logger.debug("zns outbox: relayed %s task(s)", len(tasks))
        return tasks

    def _take_queued_rows(self) -> list[tuple[int, str]]:
        """The ORM broker's own dequeue without its idle wait: while messages keep coming,
        the other tasks of the cluster are served on the same poll rather than starved."""
        taken = []
        for row in self.get_connection().filter(key=self.list_key, lock__lt=timezone.now())[
            : Conf.BULK
        ]:
            if (
                self.get_connection()
                .filter(id=row.id, lock=row.lock)
                .update(lock=self.timeout(row))
            ):
                taken.append((row.pk, row.payload))
        return taken

    def delete(self, task_id):
        if _relayed(task_id):
            return None
        return super().delete(task_id)

    def acknowledge(self, task_id):
        return self.delete(task_id)

    def fail(self, task_id):
        return self.delete(task_id)


def _relayed(task_id) -> bool:
    return isinstance(task_id, str) and task_id.startswith(RELAYED)
