"""Pull templates and their parameter specs from Zalo: ``zns_sync_templates``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.template_sync import sync_templates
from zns_notify.zalo.client import ZaloAPIError


class Command(BaseCommand):
    help = "Fetch every ZNS template (with its parameters) from Zalo into the database."

    def handle(self, *args, **options):
        try:
            report = sync_templates()
        except (ZaloAPIError, ZnsConfigurationError) as exc:
            raise CommandError(f"Template sync failed, nothing changed: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Templates synced: {report}."))
