"""django-q2's ORM broker, with zns_notify's queued messages as a second source of tasks.

Opt in with ``Q_CLUSTER = {"orm": "default", "broker_class": "zns_notify.broker.OutboxORM"}``.
Everything django-q2 queues still goes through the ORM broker's table, unchanged; each poll
also leases due messages and hands them to the workers as ``send_messages`` tasks, so an
order event costs the shop's transaction one INSERT instead of two and a signed task
(docs/performance.md).

This entry point is the dotted path hosts put in their settings; the broker itself lives
with the relay it runs, :mod:`zns_notify.events.relay`.
"""

from __future__ import annotations

from zns_notify.events.relay import OutboxORM

__all__ = ["OutboxORM"]
