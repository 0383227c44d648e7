"""django-q2's brokers with zns_notify's recovery of dead workers' rows in their poll.

``OutboxORM``: django-q2's ORM broker, with zns_notify's queued messages as a second source
of tasks. Opt in with
``Q_CLUSTER = {"orm": "default", "broker_class": "zns_notify.broker.OutboxORM"}``.
Everything django-q2 queues still goes through the ORM broker's table, unchanged; each poll
also leases due messages and hands them to the workers as ``send_messages`` tasks, so an
order event costs the shop's transaction one INSERT instead of two and a signed task
(docs/performance.md).

This entry point is the dotted path hosts put in their settings; the relay it runs lives in
:mod:`zns_notify.events.relay`. Here it also recovers dead workers' rows
(:func:`zns_notify.sending.lease.recover_expired`) every third of ``SEND_LEASE``: a cluster
whose workers have nothing to send renews no lease and so recovers nothing otherwise, and
the sweeper's minute would come on top of the lease (issue 15).

``Redis``: django-q2's Redis broker, unchanged but for the same recovery in its poll (its
blocking read returns every second); the rows it queues again get a send task of their own.

Both polls also hand out the one-time codes' work ahead of the queue, every
:data:`LANE_INTERVAL` (:mod:`zns_notify.otp.lane`).
Opt in with ``Q_CLUSTER = {"redis": ..., "broker_class": "zns_notify.broker.Redis"}``.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from typing import Any

from django.db import DatabaseError, router
from django.utils import timezone
from django_q.conf import Conf

from zns_notify.conf import app_settings
from zns_notify.events import relay
from zns_notify.lib import reconnect
from zns_notify.models import Message
from zns_notify.otp.lane import Lane
from zns_notify.sending.lease import recover_expired

__all__ = ["OutboxORM", "Redis"]  # noqa: F822 (Redis: made by __getattr__ on first use)

logger = logging.getLogger(__name__)

#: How often a poll looks for one-time codes to hand out first (seconds): a code's SMS
#: or retry is then at most this late, for one small query per look.
LANE_INTERVAL = 0.5


class RecoveringPoll:
    """A broker whose poll also recovers dead workers' rows, every third of
    ``SEND_LEASE``: those never sent are due at once."""

    _next_recovery: dt.datetime | None = None
    _next_lane_look = 0.0
    _lane: Lane | None = None
    #: Push a send task for each row queued again; the outbox relay hands them out itself.
    push_tasks = True

    def serves(self, cluster: str) -> bool:
        """Whether this broker reads the queue of the cluster named ``cluster``."""
        return self.list_key == cluster

    def dequeue(self):
        self._recover()
        # One-time codes first (zns_notify.otp.lane): a code due again, or its SMS due,
        # does not wait behind the order messages queued before it.
        return self._codes_first() or super().dequeue()

    def _codes_first(self) -> list[tuple[str, str]]:
        now = time.monotonic()
        if now < self._next_lane_look:
            return []
        self._next_lane_look = now + LANE_INTERVAL
        if not self.serves(app_settings.QUEUE_CLUSTER or Conf.CLUSTER_NAME):
            return []
        if self._lane is None:
            self._lane = Lane()
        try:
            return self._lane.priority_tasks(router.db_for_write(Message))
        except Exception:  # the next look, or the ordinary queue and the sweeper, send them
            logger.exception("zns broker: looking for one-time codes to send first failed")
            return []

    def _recover(self) -> None:
        now = timezone.now()
        if self._next_recovery is not None and now < self._next_recovery:
            return
        self._next_recovery = now + dt.timedelta(seconds=app_settings.SEND_LEASE / 3)
        if not self.serves(app_settings.QUEUE_CLUSTER or Conf.CLUSTER_NAME):
            return  # zns_notify's sends belong to another cluster (QUEUE_CLUSTER)
        using = router.db_for_write(Message)
        try:
            recover_expired(now, enqueue=self.push_tasks)
        except DatabaseError as exc:
            if reconnect.connection_lost(exc, using):
                # A restart or failover: this long-lived process must open a new
                # connection, or every later poll fails on the dead one.
                reconnect.reconnect(using)
                logger.warning("zns broker: the database connection was lost; reconnecting")
            else:
                logger.exception("zns broker: recovering dead workers' rows failed")
        except Exception:  # a broker error while queueing: the poll goes on, as below
            # The sweeper and the next poll try again.
            logger.exception("zns broker: recovering dead workers' rows failed")


class OutboxORM(RecoveringPoll, relay.OutboxORM):
    """The relay's broker (:class:`zns_notify.events.relay.OutboxORM`), whose poll also
    recovers dead workers' rows; this very poll hands them out."""

    push_tasks = False


@functools.cache
def redis_broker() -> type:
    """django-q2's Redis broker with the recovery in its poll (made on first use)."""
    # Imported here: django-q2's Redis broker imports the redis package, which a host on
    # the ORM broker need not install.
    from django_q.brokers.redis_broker import Redis as QRedis

    class Redis(RecoveringPoll, QRedis):
        """django-q2's Redis broker, whose poll also recovers dead workers' rows: with
        every worker idle, nothing else would before the sweeper's minute."""

        def serves(self, cluster: str) -> bool:
            return self.list_key == f"django_q:{cluster}:q"  # QRedis's name for the queue

    Redis.__module__ = __name__
    return Redis


def __getattr__(name: str) -> Any:
    # ``Q_CLUSTER["broker_class"] = "zns_notify.broker.Redis"`` is imported by name.
    if name == "Redis":
        return redis_broker()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
