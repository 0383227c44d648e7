"""The recovery settings (SEND_LEASE, LOST_TASK_AFTER, RETRY_BACKOFF_MAX, AMBIGUOUS_*) and
the system checks that guard them."""

from __future__ import annotations

import pytest

from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.lib.delays import backoff
from zns_notify.sending.checks import check_reliability, check_send_lease

RECOMMENDED = {"timeout": 30, "retry": 60, "max_attempts": 1, "catch_up": False}


def test_defaults():
    assert app_settings.SEND_LEASE == 300
    assert app_settings.LOST_TASK_AFTER == 120
    assert app_settings.RETRY_BACKOFF_MAX == 3600
    assert app_settings.AMBIGUOUS_SENDS == "verify"
    assert app_settings.AMBIGUOUS_GRACE == 600


def test_backoff_doubles_up_to_the_cap_with_jitter(settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "RETRY_BACKOFF": 10, "RETRY_BACKOFF_MAX": 60}
    for attempts, base in ((1, 10), (2, 20), (3, 40), (4, 60), (50, 60), (10_000, 60)):
        seconds = backoff(attempts).total_seconds()
        assert base * 0.8 <= seconds <= base * 1.2, (attempts, seconds)


def test_an_unknown_ambiguous_policy_is_refused_when_read_and_by_the_check(settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "AMBIGUOUS_SENDS": "twice"}
    with pytest.raises(ZnsConfigurationError, match="AMBIGUOUS_SENDS"):
        _ = app_settings.AMBIGUOUS_SENDS
    assert "zns_notify.E006" in {p.id for p in check_reliability()}


def test_the_recommended_settings_pass(settings):
    settings.Q_CLUSTER = RECOMMENDED
    assert check_reliability() == []


@pytest.mark.parametrize(
    ("lease", "cluster"),
    [
        (30, RECOMMENDED),  # equal to the timeout: a live task may still hold the row
        (10, RECOMMENDED),
        (300, {"retry": 60}),  # no timeout: a task may run for ever
    ],
)
def test_a_lease_a_live_task_can_outlast_is_warned_about(lease, cluster):
    [warning] = check_send_lease(lease, cluster)
    assert warning.id == "zns_notify.W007" and "twice" in warning.msg


def test_the_lease_check_reads_the_setting(settings):
    settings.Q_CLUSTER = RECOMMENDED
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SEND_LEASE": 20}
    assert [p.id for p in check_reliability()] == ["zns_notify.W007"]


@pytest.mark.parametrize(
    "cluster",
    [
        {"timeout": 30, "retry": 60},  # unset: django-q2's default is True
        {**RECOMMENDED, "catch_up": True},
    ],
)
def test_catch_up_is_warned_about(settings, cluster):
    settings.Q_CLUSTER = cluster
    assert [p.id for p in check_reliability()] == ["zns_notify.W008"]


def test_deployment_docs_list_every_schedule():
    # docs/deployment.md tells operators what each cluster runs; the policy engine's daily
    # prune was added without it.
    from pathlib import Path

    from zns_notify.tasks import SCHEDULES

    text = (Path(__file__).resolve().parents[2] / "docs/deployment.md").read_text()
    missing = [name for name, _func, _minutes in SCHEDULES if f"| `{name}` |" not in text]
    assert not missing
