"""System checks of the API's settings (registered by the app's ready())."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Info, Tags, Warning, register
from django.utils.module_loading import import_string

from zns_notify.api.permissions import TOKEN_AUTHENTICATION, authentication_paths
from zns_notify.api.throttling import EventsRateThrottle
from zns_notify.conf import app_settings

DUMMY_CACHE = "django.core.cache.backends.dummy.DummyCache"


@register(Tags.compatibility)
def check_api(app_configs=None, **kwargs) -> list:
    problems = _check_paths("API_AUTHENTICATION_CLASSES", authentication_paths())
    problems += _check_paths("API_PERMISSION_CLASSES", app_settings.API_PERMISSION_CLASSES)
    if TOKEN_AUTHENTICATION in authentication_paths() and not apps.is_installed(
        "rest_framework.authtoken"
    ):
        problems.append(
            Error(
                f'ZNS_NOTIFY["API_AUTHENTICATION_CLASSES"] names {TOKEN_AUTHENTICATION}, but '
                '"rest_framework.authtoken" is not in INSTALLED_APPS: every request with a '
                "token would fail.",
                hint='Add "rest_framework.authtoken" to INSTALLED_APPS and migrate, or drop the '
                "class.",
                id="zns_notify.E011",
            )
        )
    problems += _check_throttle("API_EVENTS_THROTTLE_RATE", app_settings.API_EVENTS_THROTTLE_RATE)
    problems += _check_throttle("API_OTP_THROTTLE_RATE", app_settings.API_OTP_THROTTLE_RATE)
    return problems


# A deployment check: said by `manage.py check --deploy` (the review of a site's setup),
# not on every manage.py command, where an Info about an optional convenience is noise.
@register(Tags.compatibility, deploy=True)
def check_api_browsable(app_configs=None, **kwargs) -> list:
    if apps.is_installed("rest_framework"):
        return []
    return [
        Info(
            '"rest_framework" is not in INSTALLED_APPS: the API under /zns/api/ answers in '
            "JSON only, without DRF's browsable pages.",
            hint='Add "rest_framework" to INSTALLED_APPS for the browsable API.',
            id="zns_notify.I010",
        )
    ]


def _check_paths(key: str, paths: list[str]) -> list:
    problems = []
    for path in paths:
        try:
            import_string(path)
        except ImportError as exc:
            problems.append(
                Error(
                    f'ZNS_NOTIFY["{key}"] names {path!r}, which does not import: {exc}',
                    id="zns_notify.E010",
                )
            )
    return problems


def _check_throttle(key: str, rate: str | None) -> list:
    if rate is None:
        return []
    try:
        EventsRateThrottle.parse_rate(None, rate)
    except (ValueError, KeyError, IndexError):
        return [
            Error(
                f'ZNS_NOTIFY["{key}"] = {rate!r} is not a rate.',
                hint='Write it as DRF does, e.g. "120/minute" or "10/second"; None turns it off.',
                id="zns_notify.E012",
            )
        ]
    backend = (getattr(settings, "CACHES", {}).get("default") or {}).get("BACKEND", "")
    if backend == DUMMY_CACHE:
        return [
            Warning(
                f'ZNS_NOTIFY["{key}"] is set, but the default cache is DummyCache, which '
                "forgets every count: its endpoints are not throttled.",
                hint="Configure a shared cache (Redis, Memcached, the database) as "
                "CACHES['default'].",
                id="zns_notify.W010",
            )
        ]
    return []
