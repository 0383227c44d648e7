"""Migration 0015's data step, run for real (historical models, both directions) on the
suite's database: SQLite here, PostgreSQL in the PostgreSQL pass."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("zns_notify", "0014_reports_aggregates")]
AFTER = [("zns_notify", "0015_delivery_log")]


def migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


@pytest.fixture
def back_to_latest():
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_forward_grants_connect_backward_and_forward_again(back_to_latest):
    from django.contrib.auth.models import Group, Permission, User

    migrate(BEFORE)
    Permission.objects.filter(codename="connect_zaloaccount").delete()
    change = Permission.objects.get(codename="change_zaloaccount")
    editor = User.objects.create_user("editor", is_staff=True)
    editor.user_permissions.add(change)
    group = Group.objects.create(name="OA admins")
    group.permissions.add(change)
    bystander = User.objects.create_user("bystander", is_staff=True)

    migrate(AFTER)
    connect = Permission.objects.get(codename="connect_zaloaccount")
    assert list(editor.user_permissions.filter(codename="connect_zaloaccount")) == [connect]
    assert list(group.permissions.filter(codename="connect_zaloaccount")) == [connect]
    assert not bystander.user_permissions.exists()

    migrate(BEFORE)  # reversible: the schema goes back, the grant stays (harmless)
    migrate(AFTER)  # and again: no duplicate grant, no error
    assert Permission.objects.filter(codename="connect_zaloaccount").count() == 1
    assert editor.user_permissions.filter(codename="connect_zaloaccount").count() == 1


def test_forward_on_a_database_without_users_or_permissions(back_to_latest):
    from django.contrib.auth.models import Permission

    migrate(BEFORE)
    Permission.objects.filter(content_type__app_label="zns_notify").delete()
    migrate(AFTER)
    assert not Permission.objects.filter(codename="connect_zaloaccount").exists()
