"""rundemo's guards and the child-process helpers it supervises with."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db.migrations.executor import MigrationExecutor

from demo_shop.shop.processes import ChildFailed, ManagePy, wait_for_any_exit, wait_for_http
from tests.demo.helpers import MANAGE_PY, demo_process_env, free_port


@pytest.fixture
def manage(tmp_path):
    """manage.py children on a throwaway demo database; all stopped at the end."""
    runner = ManagePy(MANAGE_PY, demo_process_env(tmp_path))
    yield runner
    runner.stop_all()


def test_rundemo_refuses_to_run_while_pointed_at_another_zalo(monkeypatch):
    monkeypatch.setenv("ZNS_API_BASE_URL", "https://business.openapi.zalo.me")
    with pytest.raises(CommandError, match="its own sandbox"):
        call_command("rundemo")


def test_rundemo_asks_for_migrate_first(monkeypatch, db):
    monkeypatch.delenv("ZNS_API_BASE_URL", raising=False)
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: ["pending"])
    with pytest.raises(CommandError, match="migrate"):
        call_command("rundemo")


def test_a_child_that_dies_while_starting_is_reported(manage):
    child = manage.start("bogus", "no_such_command")
    with pytest.raises(ChildFailed, match="bogus exited with code 1"):
        wait_for_http("http://127.0.0.1:9/", child, timeout=30)


def test_a_started_child_answers_and_stops_on_request(manage):
    port = free_port()
    sandbox = manage.start("zns_sandbox", "zns_sandbox", "--port", str(port))
    wait_for_http(f"http://127.0.0.1:{port}/_sandbox/tracking", sandbox, timeout=30)
    manage.stop_all()
    assert sandbox.exit_code is not None
    assert manage.first_exited() is sandbox


def test_the_supervisor_wakes_up_when_a_child_dies(manage):
    child = manage.start("bogus", "no_such_command")
    assert wait_for_any_exit(manage, interval=0.05) is child
    assert child.exit_code == 1
