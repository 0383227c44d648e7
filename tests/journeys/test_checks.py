"""The ZNS Journey settings: defaults, values read exactly, and the system check for values
that cannot be read."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import checks

from zns_notify.conf import app_settings
from zns_notify.journeys.checks import check_journey_settings


def test_defaults():
    assert app_settings.JOURNEYS is True
    assert app_settings.JOURNEY_TOKEN_PRICE == Decimal(180)
    assert app_settings.JOURNEY_MESSAGE_PRICE == Decimal(0)
    assert app_settings.JOURNEY_EXPIRY_MARGIN == 600
    assert check_journey_settings() == []


@pytest.mark.parametrize(
    ("key", "value", "read"),
    [
        ("JOURNEYS", False, False),
        ("JOURNEY_TOKEN_PRICE", "199.5", Decimal("199.5")),
        ("JOURNEY_TOKEN_PRICE", 0, Decimal(0)),
        ("JOURNEY_MESSAGE_PRICE", 0.1, Decimal("0.1")),
        ("JOURNEY_EXPIRY_MARGIN", 0, 0),
        ("JOURNEY_EXPIRY_MARGIN", 86400, 86400),
    ],
)
def test_values_are_read_exactly(settings, key, value, read):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, key: value}
    assert getattr(app_settings, key) == read
    assert check_journey_settings() == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("JOURNEYS", "yes"),
        ("JOURNEYS", 1),
        ("JOURNEY_TOKEN_PRICE", -1),
        ("JOURNEY_TOKEN_PRICE", "a lot"),
        ("JOURNEY_TOKEN_PRICE", True),
        ("JOURNEY_MESSAGE_PRICE", "NaN"),
        ("JOURNEY_EXPIRY_MARGIN", -1),
        ("JOURNEY_EXPIRY_MARGIN", 86401),
        ("JOURNEY_EXPIRY_MARGIN", 600.0),
    ],
)
def test_a_bad_value_is_a_system_check_error_naming_the_key(settings, key, value):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, key: value}
    errors = check_journey_settings()
    assert [error.id for error in errors] == ["zns_notify.E060"]
    assert f'ZNS_NOTIFY["{key}"]' in errors[0].msg


def test_the_check_runs_with_django_s_checks(settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "JOURNEY_EXPIRY_MARGIN": -5}
    assert "zns_notify.E060" in [problem.id for problem in checks.run_checks()]


def test_journeys_with_hashed_phones_is_a_warning(settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "HASH_PHONE": True}
    assert [problem.id for problem in check_journey_settings()] == ["zns_notify.W061"]

    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "JOURNEYS": False}
    assert check_journey_settings() == []
