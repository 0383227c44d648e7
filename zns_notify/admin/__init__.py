"""Admin pages, one module per area. Django's admin autodiscovery imports this package;
importing each area registers its ModelAdmins.

Dependency rule: admin modules sit on top of every domain; no domain imports them.
"""

from zns_notify.admin import (  # noqa: F401  (imported to register their ModelAdmins)
    account,
    bindings,
    fallback,
    journeys,
    log,
    otp,
    policy,
    reports,
    templates,
    webhooks,
)
