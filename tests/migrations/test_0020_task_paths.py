"""Upgrading a database made by the flat layout (0.2.0): the schedules and queued tasks it
stored keep working. Run for real on the suite's database (SQLite, then PostgreSQL)."""

from __future__ import annotations

import pydoc

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("zns_notify", "0019_error_category_index")]
AFTER = [("zns_notify", "0020_task_paths")]

#: What 0.2.0's ensure_schedules() created, verbatim.
OLD_SCHEDULES = (
    ("zns_notify.refresh_token", "zns_notify.tasks.refresh_token", 15),
    ("zns_notify.sweep", "zns_notify.tasks.sweep", 1),
    ("zns_notify.refresh_quota", "zns_notify.quota.refresh_quota", 30),
    ("zns_notify.reconcile", "zns_notify.reconcile.reconcile", 5),
    ("zns_notify.prune_recipient_counts", "zns_notify.policy.prune_counts", 24 * 60),
    ("zns_notify.refresh_reports", "zns_notify.rollup.refresh_reports", 5),
)


def migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


@pytest.fixture
def old_database():
    from django_q.models import Schedule

    migrate(BEFORE)
    Schedule.objects.all().delete()
    for name, func, minutes in OLD_SCHEDULES:
        Schedule.objects.create(
            name=name, func=func, schedule_type=Schedule.MINUTES, minutes=minutes, repeats=-1
        )
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def run_like_a_worker(func_path: str, *args):
    """What django-q2's worker does with a stored path (django_q.worker.worker)."""
    func = pydoc.locate(func_path)
    assert callable(func), f"{func_path} does not resolve"
    return func(*args)


def test_old_schedules_point_at_working_tasks_after_the_upgrade(old_database):
    from django_q.models import Schedule

    migrate(AFTER)
    funcs = dict(Schedule.objects.values_list("name", "func"))
    assert funcs == {
        "zns_notify.refresh_token": "zns_notify.tasks.refresh_token",
        "zns_notify.sweep": "zns_notify.tasks.sweep",
        "zns_notify.refresh_quota": "zns_notify.tasks.refresh_quota",
        "zns_notify.reconcile": "zns_notify.tasks.reconcile",
        "zns_notify.prune_recipient_counts": "zns_notify.tasks.prune_recipient_counts",
        "zns_notify.refresh_reports": "zns_notify.tasks.refresh_reports",
    }
    # Every schedule runs, on an empty shop: nothing to do, and nothing raises (with the
    # later migrations applied too: today's tasks read today's columns).
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    results = {name: run_like_a_worker(func) for name, func in funcs.items()}
    assert results["zns_notify.refresh_token"] is False  # no account connected
    assert results["zns_notify.sweep"] == 0
    assert results["zns_notify.refresh_quota"] is None
    assert results["zns_notify.reconcile"]["checked"] == 0
    assert results["zns_notify.prune_recipient_counts"] == 0
    assert isinstance(results["zns_notify.refresh_reports"], int)


def test_an_admin_s_own_schedule_and_edits_are_kept(old_database):
    from django_q.models import Schedule

    Schedule.objects.filter(name="zns_notify.reconcile").update(minutes=2)
    Schedule.objects.create(name="nightly", func="myshop.tasks.nightly", minutes=60)
    migrate(AFTER)
    reconcile = Schedule.objects.get(name="zns_notify.reconcile")
    assert (reconcile.func, reconcile.minutes) == ("zns_notify.tasks.reconcile", 2)
    assert Schedule.objects.get(name="nightly").func == "myshop.tasks.nightly"


def test_a_queued_fallback_task_is_rewritten_and_runs(old_database):
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    queued = {"id": "abc", "name": "zns-sms:x", "func": "zns_notify.fallback_tasks.send_fallbacks"}
    queued |= {"args": (["zns-sms-unknown"],), "kwargs": {}}
    unreadable = OrmQ.objects.create(key="default", payload="not a signed package", lock=None)
    row = OrmQ.objects.create(key="default", payload=SignedPackage.dumps(queued), lock=None)
    migrate(AFTER)
    task = SignedPackage.loads(OrmQ.objects.get(pk=row.pk).payload)
    assert task["func"] == "zns_notify.tasks.send_fallbacks"
    assert task["args"] == (["zns-sms-unknown"],)
    assert run_like_a_worker(task["func"], *task["args"]) == 0  # an unknown step: nothing sent
    assert OrmQ.objects.get(pk=unreadable.pk).payload == "not a signed package"


def test_downgrade_restores_the_old_paths(old_database):
    from django_q.models import Schedule

    migrate(AFTER)
    migrate(BEFORE)
    assert Schedule.objects.get(name="zns_notify.refresh_quota").func == (
        "zns_notify.quota.refresh_quota"
    )
