"""Defaults that installed apps declare for ``ZNS_NOTIFY`` keys (adapters such as
``zns_notify.contrib.oscar``).

An adapter knows how its framework's orders are read (``ORDER_MODEL``, ``ORDER_PHONE``…),
so a shop turns it on by listing it in ``INSTALLED_APPS`` instead of copying a dozen keys.
It says so with a class attribute on its AppConfig::

    class OscarAdapterConfig(AppConfig):
        zns_notify_defaults = {"ORDER_MODEL": "order.Order", "ORDER_CODE": "number"}

The shop's own ``ZNS_NOTIFY`` value always wins. Read from the app registry (no import-time
registration, so the order of ``INSTALLED_APPS`` does not matter), and kept while the
registry is the same one: ``override_settings(INSTALLED_APPS=...)`` builds a new one.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps

#: The AppConfig attribute an app declares its defaults in.
ATTRIBUTE = "zns_notify_defaults"

#: (the registry read, its defaults, its conflicts), replaced as one tuple so a thread
#: never sees one registry's defaults with another's conflicts.
_cache: tuple[Any, dict[str, Any], list[tuple[str, list[str]]]] = (None, {}, [])


def declared_defaults() -> dict[str, Any]:
    """``{key: value}`` declared by the installed apps; empty before the registry is built."""
    return _collect()[1]


def conflicts() -> list[tuple[str, list[str]]]:
    """``(key, [app labels])`` for each key two installed apps declare different values for.
    The first app in ``INSTALLED_APPS`` wins; the system check names the clash."""
    return _collect()[2]


def _collect() -> tuple[Any, dict[str, Any], list[tuple[str, list[str]]]]:
    global _cache
    if not apps.apps_ready:  # settings read while Django is still loading the apps
        return (None, {}, [])
    registry = apps.app_configs
    if _cache[0] is registry:
        return _cache
    defaults: dict[str, Any] = {}
    owners: dict[str, list[str]] = {}
    clashing: set[str] = set()
    for config in registry.values():
        for key, value in (getattr(config, ATTRIBUTE, None) or {}).items():
            if key in defaults and defaults[key] != value:
                clashing.add(key)
            defaults.setdefault(key, value)
            owners.setdefault(key, []).append(config.label)
    _cache = (registry, defaults, [(key, owners[key]) for key in sorted(clashing)])
    return _cache
