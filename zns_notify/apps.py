from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ZnsNotifyConfig(AppConfig):
    name = "zns_notify"
    verbose_name = _("Zalo notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from zns_notify.admin.banner import install as install_admin_banner
        from zns_notify.api import checks as api_checks  # noqa: F401
        from zns_notify.bindings.validation import validate_binding  # reads the models: ready()
        from zns_notify.events import notify as events
        from zns_notify.events import watchers
        from zns_notify.models.bindings import install_binding_checks  # a model: ready()
        from zns_notify.policy import rules as policy  # needs models
        from zns_notify.sms import checks as sms_checks  # noqa: F401
        from zns_notify.tasks import ensure_schedules

        install_binding_checks(validate_binding)
        events.connect_order_signals()
        watchers.connect_order_watcher()
        policy.connect_quota_release()
        install_admin_banner()
        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="zns_notify.schedules")
