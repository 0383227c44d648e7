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
    assert app_settings.SEND_LEASE == 30
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
    ("lease", "request_timeout"),
    [
        (27, (3, 15)),  # a token refresh waits 18 s without renewing: past 2/3 of the lease
        (10, (3.05, 15)),
    ],
)
def test_a_lease_a_live_worker_cannot_renew_in_time_is_warned_about(lease, request_timeout):
    [warning] = check_send_lease(lease, request_timeout, RECOMMENDED)
    assert warning.id == "zns_notify.W007" and "twice" in warning.msg


def test_the_default_lease_outlasts_the_default_request_timeout():
    assert (
        check_send_lease(app_settings.SEND_LEASE, app_settings.REQUEST_TIMEOUT, RECOMMENDED) == []
    )


def test_without_a_task_timeout_the_sms_steps_lease_is_warned_about():
    [warning] = check_send_lease(300, (3.05, 15), {"retry": 60})
    assert warning.id == "zns_notify.W007" and "SMS fallback" in warning.msg


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
