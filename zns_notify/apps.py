from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ZnsNotifyConfig(AppConfig):
    name = "zns_notify"
    verbose_name = _("Zalo notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each import below loads zns_notify's models, which need the app registry; Django
        # imports this module while it is still building the registry, hence here.
        from zns_notify import checks  # noqa: F401  (registers the system checks; needs models)
        from zns_notify.admin.banner import install as install_admin_banner  # needs models
        from zns_notify.bindings.validation import validate_binding  # needs models
        from zns_notify.events import notify as events  # needs models
        from zns_notify.events import watchers  # needs models
        from zns_notify.models.bindings import install_binding_checks  # a model: needs them
        from zns_notify.policy.quota_release import connect_quota_release  # needs models
        from zns_notify.tasks import ensure_schedules  # needs models

        install_binding_checks(validate_binding)
        events.connect_order_signals()
        watchers.connect_order_watcher()
        connect_quota_release()
        install_admin_banner()
        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="zns_notify.schedules")
