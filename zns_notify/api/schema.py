"""The OpenAPI schema of the API (drf-spectacular), served at ``/zns/api/schema/``.

drf-spectacular's view is used without adding ``drf_spectacular`` to ``INSTALLED_APPS``
and without touching the host's ``SPECTACULAR_SETTINGS`` or DRF's ``DEFAULT_SCHEMA_CLASS``:
its settings are patched for the time of the request (:data:`SCHEMA_SETTINGS`), and a
preprocessing hook keeps only zns_notify's endpoints, whatever else the host's URLconf
serves.
"""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView

from zns_notify import __version__
from zns_notify.api.permissions import authentication_classes, permission_classes

SCHEMA_SETTINGS = {
    "TITLE": "zns_notify API",
    "DESCRIPTION": "Zalo ZNS messages of the shop: the message log, templates, bindings, "
    "order events reported by other parts of the shop, statistics.",
    "VERSION": __version__,
    # 3.1 is JSON Schema: it can say which names an event's data may use (propertyNames).
    "OAS_VERSION": "3.1.0",
    "PREPROCESSING_HOOKS": ["zns_notify.api.schema.only_zns_notify"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "MessageStatusEnum": "zns_notify.models.Message.Status",
        "TemplateStatusEnum": "zns_notify.models.Template.Status",
        "TimelineKindEnum": "zns_notify.models.MessageEvent.Kind",
    },
}


#: The modules whose views are the API's.
API_MODULES = frozenset({"zns_notify.api.views", "zns_notify.api.otp"})


def only_zns_notify(endpoints: list) -> list:
    """drf-spectacular preprocessing hook: zns_notify's API views, not the schema view."""
    return [
        (path, regex, method, callback)
        for path, regex, method, callback in endpoints
        if getattr(callback, "cls", None) is not None and callback.cls.__module__ in API_MODULES
    ]


class SchemaView(SpectacularAPIView):
    """The schema in YAML (default) or JSON (``?format=json`` or ``Accept:
    application/vnd.oai.openapi+json``), behind the API's own authentication and
    permissions."""

    custom_settings = SCHEMA_SETTINGS

    def get_authenticators(self):
        return [cls() for cls in authentication_classes()]

    def get_permissions(self):
        return [cls() for cls in permission_classes()]
