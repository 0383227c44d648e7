"""System checks of the SMS settings, one test per misconfiguration."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.sms import estimate_cost
from zns_notify.sms.checks import check_sms_settings

ESMS = {"api_key": "k", "secret_key": "s", "brandname": "DemoShop"}


def test_no_provider_no_problem(sms_settings):
    sms_settings()
    assert check_sms_settings() == []


def test_complete_esms_configuration_passes(sms_settings):
    sms_settings(
        SMS_PROVIDER="esms",
        SMS_PROVIDER_OPTIONS=ESMS,
        SMS_MAX_SEGMENTS=2,
        SMS_COST_PER_SEGMENT="850.5",
    )
    assert check_sms_settings() == []


def test_unknown_provider(sms_settings):
    sms_settings(SMS_PROVIDER="viettel")
    [problem] = check_sms_settings()
    assert problem.id == "zns_notify.E020"
    assert "'viettel' is neither an alias (console, locmem, http, esms)" in problem.msg


def test_missing_options_one_error_each(sms_settings):
    sms_settings(SMS_PROVIDER="esms", SMS_PROVIDER_OPTIONS={"sms_type": "2"})
    problems = check_sms_settings()
    assert [p.id for p in problems] == ["zns_notify.E021"] * 3
    assert [p.msg.split(" is required")[0] for p in problems] == [
        f'ZNS_NOTIFY["SMS_PROVIDER_OPTIONS"]["{key}"]'
        for key in ("api_key", "secret_key", "brandname")
    ]


def test_generic_http_template_problem(sms_settings):
    sms_settings(
        SMS_PROVIDER="http",
        SMS_PROVIDER_OPTIONS={"url": "https://sms.example.vn", "body": {"to": "{to}"}},
    )
    [problem] = check_sms_settings()
    assert problem.id == "zns_notify.E021" and "unknown placeholders {to}" in problem.msg


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SMS_MAX_SEGMENTS", 0),
        ("SMS_MAX_SEGMENTS", "3"),
        ("SMS_MAX_SEGMENTS", 256),
        ("SMS_COST_PER_SEGMENT", -1),
        ("SMS_COST_PER_SEGMENT", "cheap"),
        ("SMS_COST_PER_SEGMENT", True),
        ("SMS_PROVIDER_OPTIONS", ["api_key"]),
    ],
)
def test_bad_values(sms_settings, key, value):
    sms_settings(**{key: value})
    [problem] = check_sms_settings()
    assert problem.id == "zns_notify.E022" and f'ZNS_NOTIFY["{key}"]' in problem.msg
    with pytest.raises(ZnsConfigurationError):
        getattr(app_settings, key)


def test_offline_provider_in_production_warns(sms_settings, settings):
    settings.DEBUG = False
    sms_settings(SMS_PROVIDER="console")
    [problem] = check_sms_settings()
    assert problem.id == "zns_notify.W020"
    settings.DEBUG = True
    assert check_sms_settings() == []


def test_esms_sandbox_in_production_warns(sms_settings, settings):
    settings.DEBUG = False
    sms_settings(SMS_PROVIDER="esms", SMS_PROVIDER_OPTIONS={**ESMS, "sandbox": True})
    assert [p.id for p in check_sms_settings()] == ["zns_notify.W021"]


def test_checks_run_with_django_check(sms_settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    sms_settings(SMS_PROVIDER="esms", SMS_PROVIDER_OPTIONS={})
    with pytest.raises(SystemCheckError, match="zns_notify.E021"):
        call_command("check")


def test_cost_estimate(sms_settings):
    sms_settings()
    assert estimate_cost(2) is None
    sms_settings(SMS_COST_PER_SEGMENT=850)
    assert estimate_cost(3) == Decimal(2550)
