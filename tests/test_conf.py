from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import override_settings

from zns_notify.conf import CORE_EVENTS, app_settings
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.rendering.filters import vnd, zns_date, zns_datetime, zns_time


def test_defaults(settings):
    settings.ZNS_NOTIFY = {"APP_ID": "1", "APP_SECRET": "s"}
    assert app_settings.API_BASE_URL == "https://business.openapi.zalo.me"
    assert app_settings.OAUTH_BASE_URL == "https://oauth.zaloapp.com"
    assert app_settings.TIMEZONE == "Asia/Ho_Chi_Minh"
    assert app_settings.DEVELOPMENT_MODE is False
    assert app_settings.ORDER_MODEL is None
    assert app_settings.EVENTS == CORE_EVENTS


def test_settings_are_read_live():
    with override_settings(ZNS_NOTIFY={"API_BASE_URL": "http://one/"}):
        assert app_settings.API_BASE_URL == "http://one"
    with override_settings(ZNS_NOTIFY={"API_BASE_URL": "http://two"}):
        assert app_settings.API_BASE_URL == "http://two"


@pytest.mark.parametrize("value", [None, ""])
def test_missing_required_key_names_the_setting(settings, value):
    settings.ZNS_NOTIFY = {"APP_ID": value}
    with pytest.raises(ZnsConfigurationError, match=r'ZNS_NOTIFY\["APP_ID"\]'):
        _ = app_settings.APP_ID


def test_timeout_accepts_a_number_or_a_pair(settings):
    settings.ZNS_NOTIFY = {"REQUEST_TIMEOUT": 5}
    assert app_settings.REQUEST_TIMEOUT == (5.0, 5.0)
    settings.ZNS_NOTIFY = {"REQUEST_TIMEOUT": (1, 2)}
    assert app_settings.REQUEST_TIMEOUT == (1.0, 2.0)


@pytest.mark.parametrize(
    "value, expected",
    [
        (1250000, "1.250.000"),
        (Decimal("99999.6"), "100.000"),
        ("300", "300"),
        (0, "0"),
        ("abc", ""),
        (None, ""),
    ],
)
def test_vnd(value, expected):
    assert vnd(value) == expected


def test_date_filters_use_the_configured_time_zone():
    moment = dt.datetime(2026, 11, 21, 18, 30, tzinfo=dt.UTC)  # 01:30 on the 22nd in Hanoi
    assert zns_date(moment) == "22/11/2026"
    assert zns_datetime(moment) == "01:30 22/11/2026"
    assert zns_time(moment) == "01:30"
    assert zns_date(dt.date(2026, 1, 2)) == "02/01/2026"
    assert zns_date("not a date") == ""


def test_system_checks_name_the_settings(settings):
    from zns_notify.checks import check_settings

    settings.ZNS_NOTIFY = {
        "ORDER_MODEL": "shop.Nope",
        "ORDER_STATUS_EVENTS": {"x": "order_exploded"},
    }
    ids = {problem.id for problem in check_settings()}
    assert ids == {"zns_notify.E001", "zns_notify.W001", "zns_notify.E002", "zns_notify.E004"}
    settings.ZNS_NOTIFY = {
        "APP_ID": "1",
        "APP_SECRET": "s",
        "OA_SECRET_KEY": "k",
        "ORDER_MODEL": "shop.Order",
        "ORDER_STATUS_FIELD": "state",
    }
    assert [p.id for p in check_settings()] == ["zns_notify.E003"]


def test_test_settings_pass_the_checks():
    call_command("check", fail_level="WARNING")


@pytest.mark.django_db
def test_migrations_are_complete():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_none_means_unset_for_optional_keys(settings):
    settings.ZNS_NOTIFY = {"REQUEST_TIMEOUT": None, "MAX_ATTEMPTS": None}
    assert app_settings.REQUEST_TIMEOUT == (3.05, 15.0)
    assert app_settings.MAX_ATTEMPTS == 5


def test_checks_refuse_event_names_notify_would_refuse(settings):
    from zns_notify.checks import check_settings

    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "EXTRA_EVENTS": {"Order Refunded!": "x"}}
    assert "zns_notify.E005" in {p.id for p in check_settings()}


def test_checks_warn_when_django_q_would_run_a_task_twice(settings):
    from zns_notify.checks import check_settings

    settings.Q_CLUSTER = {"timeout": 60, "retry": 60, "max_attempts": 1}
    assert {p.id for p in check_settings()} == {"zns_notify.W002"}


@pytest.mark.parametrize(
    ("cluster", "warning"),
    [
        ({"retry": 60, "max_attempts": 1}, "zns_notify.W004"),  # no timeout: long tasks run twice
        ({"timeout": 30, "retry": 60}, "zns_notify.W005"),  # failing tasks re-run without limit
        ({"timeout": 30, "retry": 60, "max_attempts": 0}, "zns_notify.W005"),
    ],
)
def test_checks_warn_about_other_double_execution_settings(settings, cluster, warning):
    from zns_notify.checks import check_settings

    settings.Q_CLUSTER = cluster
    assert {p.id for p in check_settings()} == {warning}


def test_the_recommended_cluster_settings_pass(settings):
    from zns_notify.checks import check_settings

    settings.Q_CLUSTER = {"timeout": 30, "retry": 60, "max_attempts": 1, "orm": "default"}
    assert not [p for p in check_settings() if p.id.startswith("zns_notify.W00")]


def test_checks_warn_when_the_orm_broker_shares_sqlite_without_immediate_transactions():
    from zns_notify.checks import check_sqlite_locking

    cluster = {"orm": "default"}
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "/tmp/shop.sqlite3"}
    [warning] = check_sqlite_locking(cluster, {"default": {**sqlite, "OPTIONS": {"timeout": 20}}})
    assert warning.id == "zns_notify.W006" and "IMMEDIATE" in warning.hint
    immediate = {**sqlite, "OPTIONS": {"transaction_mode": "IMMEDIATE"}}
    assert check_sqlite_locking(cluster, {"default": immediate}) == []
    postgres = {"ENGINE": "django.db.backends.postgresql", "NAME": "shop"}
    assert check_sqlite_locking(cluster, {"default": postgres}) == []
    assert check_sqlite_locking({"redis": "redis://"}, {"default": sqlite}) == []


def test_every_system_check_is_registered_when_django_starts():
    """``manage.py check`` and ``migrate`` run them only when the app's ready() registered
    them; calling them by hand in the tests would not notice a missing registration."""
    from django.core.checks.registry import registry

    registered = {f"{check.__module__}.{check.__name__}" for check in registry.get_checks()}
    assert {
        "zns_notify.checks.check_settings",
        "zns_notify.checks.check_bindings",
        "zns_notify.fallback.checks.check_fallback_provider",
        "zns_notify.sending.checks.check_reliability",
        "zns_notify.sms.checks.check_sms_settings",
        "zns_notify.api.checks.check_api",
    } <= registered
