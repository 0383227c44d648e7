"""Who may use the API: the authentication and permission classes the settings name."""

from __future__ import annotations

from django.apps import apps
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from zns_notify.conf import app_settings

TOKEN_AUTHENTICATION = "rest_framework.authentication.TokenAuthentication"
SESSION_AUTHENTICATION = "rest_framework.authentication.SessionAuthentication"


def authentication_paths() -> list[str]:
    """``API_AUTHENTICATION_CLASSES``, or the default: tokens when DRF's ``authtoken`` app is
    installed (its model exists only then), then the session. Tokens come first so that an
    anonymous request is answered 401 with ``WWW-Authenticate: Token``."""
    configured = app_settings.API_AUTHENTICATION_CLASSES
    if configured is not None:
        return configured
    if apps.is_installed("rest_framework.authtoken"):
        return [TOKEN_AUTHENTICATION, SESSION_AUTHENTICATION]
    return [SESSION_AUTHENTICATION]


def authentication_classes() -> list[type]:
    return [import_string(path) for path in authentication_paths()]


def permission_classes() -> list[type]:
    return [import_string(path) for path in app_settings.API_PERMISSION_CLASSES]


class HasModelPermissions(BasePermission):
    """The user holds every permission the view lists in ``required_permissions``: the
    ones the admin asks for (``zns_notify.view_message`` to read the log,
    ``zns_notify.add_message`` to report an event). Superusers hold them all."""

    message = _("You do not have the permissions this needs: %(permissions)s.")

    def has_permission(self, request, view) -> bool:
        required = tuple(getattr(view, "required_permissions", ()))
        if request.user.has_perms(required):
            return True
        self.message = self.message % {"permissions": ", ".join(required)}
        return False
