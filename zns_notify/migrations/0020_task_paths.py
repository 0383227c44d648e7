"""The task paths django-q2 stored before zns_notify was laid out by domain (0.2.0 and earlier).

django-q2 keeps a task's function as a dotted path: in every ``Schedule`` row and inside
every task still queued on the ORM broker. The functions moved into domain folders and are
now all reached through :mod:`zns_notify.tasks`; this rewrites the stored paths, both ways.
An admin's own schedules that name other paths are left alone. A task queued on Redis under
an old path cannot be rewritten here: its work is picked up by the next sweep (see the
CHANGELOG).
"""

from django.db import migrations

MOVED = {
    "zns_notify.quota.refresh_quota": "zns_notify.tasks.refresh_quota",
    "zns_notify.reconcile.reconcile": "zns_notify.tasks.reconcile",
    "zns_notify.policy.prune_counts": "zns_notify.tasks.prune_recipient_counts",
    "zns_notify.rollup.refresh_reports": "zns_notify.tasks.refresh_reports",
    "zns_notify.fallback_tasks.send_fallbacks": "zns_notify.tasks.send_fallbacks",
}


def rewrite(apps, schema_editor, paths):
    Schedule = apps.get_model("django_q", "Schedule")
    OrmQ = apps.get_model("django_q", "OrmQ")
    db = schema_editor.connection.alias
    for old, new in paths.items():
        Schedule.objects.using(db).filter(func=old).update(func=new)
    # Queued packages are signed pickles of a dict; only ones whose func is an old path
    # change, and one that cannot be read is left as it is: the upgrade must not stop on it.
    from django_q.signing import SignedPackage

    for row in OrmQ.objects.using(db).only("pk", "payload").iterator():
        try:
            task = SignedPackage.loads(row.payload)
        except Exception:  # a bad signature, or a pickle of code this site no longer has
            continue
        func = task.get("func") if isinstance(task, dict) else None
        if isinstance(func, str) and func in paths:
            task["func"] = paths[func]
            OrmQ.objects.using(db).filter(pk=row.pk).update(payload=SignedPackage.dumps(task))


def forward(apps, schema_editor):
    rewrite(apps, schema_editor, MOVED)


def backward(apps, schema_editor):
    rewrite(apps, schema_editor, {new: old for old, new in MOVED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("zns_notify", "0019_error_category_index"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(forward, backward)]
