"""An order change becomes message rows, and the queue learns of them.

- :mod:`~zns_notify.events.notify`: ``zns_notify.notify()`` and the incoming order signals.
- :mod:`~zns_notify.events.watchers`: the declarative status watcher (ORDER_STATUS_EVENTS).
- :mod:`~zns_notify.events.outbox`: the hot path: rows written in the caller's transaction,
  the send task enqueued after the commit.
- :mod:`~zns_notify.events.outbox_sql`: the hot path's three statements, compiled once.
- :mod:`~zns_notify.events.relay`: the ``OutboxORM`` broker: queued rows are the queue.
"""
