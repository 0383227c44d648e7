"""Migration 0022's data step, run for real: template statuses stored before the enum was
enforced become Zalo's status or UNKNOWN, the raw value kept in the note."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("zns_notify", "0021_message_event_payload_tolerant_decoder")]
AFTER = [("zns_notify", "0022_template_status_unknown")]


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.fixture
def back_to_latest():
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_stored_statuses_are_normalised(back_to_latest):
    apps = migrate(BEFORE)
    Template = apps.get_model("zns_notify", "Template")
    for tid, status in [("1", "ENABLE"), ("2", "Disabled"), ("3", "<b>x</b>"), ("4", "rejected")]:
        Template.objects.create(template_id=tid, name=tid, status=status)
    migrate(AFTER)
    from zns_notify.models import Template as Current

    stored = dict(Current.objects.values_list("template_id", "status"))
    assert stored == {"1": "ENABLE", "2": "DISABLE", "3": "UNKNOWN", "4": "REJECT"}
    assert "'<b>x</b>'" in Current.objects.get(template_id="3").sync_note
    migrate(BEFORE)  # reversible
    migrate(AFTER)
    assert Current.objects.get(template_id="3").sync_note.count("<b>x</b>") == 1
