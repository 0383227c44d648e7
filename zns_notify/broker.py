"""django-q2's ORM broker, with zns_notify's queued messages as a second source of tasks.

Opt in with ``Q_CLUSTER = {"orm": "default", "broker_class": "zns_notify.broker.OutboxORM"}``.
Everything django-q2 queues still goes through the ORM broker's table, unchanged; each poll
also leases due messages (see :mod:`zns_notify.events.relay`) and hands them to the workers as
``send_messages`` tasks, so an order event costs the shop's transaction one INSERT
instead of two and a signed task (docs/performance.md).
"""

from __future__ import annotations

import logging
import uuid

from django_q.brokers.orm import ORM
from django_q.conf import Conf

from zns_notify.events.relay import claim_due_keys

logger = logging.getLogger(__name__)

#: Acknowledgement ids of relayed tasks. They have no row in the ORM broker's table: the
#: Message rows record what happened to them.
RELAYED = "zns-relay:"
TASK_SEND = "zns_notify.tasks.send_messages"


class OutboxORM(ORM):
    def dequeue(self):
        relayed = self._relay()
        if not relayed:
            return super().dequeue()  # waits Conf.POLL when its table is empty too
        return relayed + self._take_queued_rows()

    def _relay(self) -> list[tuple[str, str]]:
        from zns_notify.conf import app_settings
        from zns_notify.events.outbox_sql import task_package

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
        from django.utils import timezone

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
