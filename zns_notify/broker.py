"""django-q2's ORM broker, with zns_notify's queued messages as a second source of tasks.

Opt in with ``Q_CLUSTER = {"orm": "default", "broker_class": "zns_notify.broker.OutboxORM"}``.
Everything django-q2 queues still goes through the ORM broker's table, unchanged; each poll
also leases due messages and hands them to the workers as ``send_messages`` tasks, so an
order event costs the shop's transaction one INSERT instead of two and a signed task
(docs/performance.md).

This entry point is the dotted path hosts put in their settings; the relay it runs lives in
:mod:`zns_notify.events.relay`. Here it also recovers dead workers' rows
(:func:`zns_notify.sending.lease.recover_expired`) every third of ``SEND_LEASE``: a cluster
whose workers have nothing to send renews no lease and so recovers nothing otherwise, and
the sweeper's minute would come on top of the lease (issue 15).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import DatabaseError
from django.utils import timezone
from django_q.conf import Conf

from zns_notify.conf import app_settings
from zns_notify.events import relay
from zns_notify.sending.lease import recover_expired

__all__ = ["OutboxORM"]

logger = logging.getLogger(__name__)


class OutboxORM(relay.OutboxORM):
    """The relay's broker (:class:`zns_notify.events.relay.OutboxORM`), whose poll also
    recovers dead workers' rows: those never sent are due at once, and this very poll hands
    them out."""

    _next_recovery: dt.datetime | None = None

    def dequeue(self):
        self._recover()
        return super().dequeue()

    def _recover(self) -> None:
        now = timezone.now()
        if self._next_recovery is not None and now < self._next_recovery:
            return
        self._next_recovery = now + dt.timedelta(seconds=app_settings.SEND_LEASE / 3)
        if self.list_key != (app_settings.QUEUE_CLUSTER or Conf.CLUSTER_NAME):
            return  # zns_notify's sends belong to another cluster (QUEUE_CLUSTER)
        try:
            recover_expired(now)
        except DatabaseError:  # the poll goes on; the sweeper and the next poll try again
            logger.exception("zns outbox: recovering dead workers' rows failed")
