"""Pull templates and their parameter specs from Zalo: ``zns_sync_templates``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from zns_notify.bindings.template_sync import status_number, sync_templates
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.zalo.client import ZaloAPIError


class Command(BaseCommand):
    help = "Fetch every ZNS template (with its parameters) from Zalo into the database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--status",
            help="Only fetch templates in this status (ENABLE, PENDING_REVIEW, REJECT, DISABLE, "
            "DELETE, or Zalo's number 1-5). Without it every template is fetched and those "
            "Zalo no longer lists are marked missing.",
        )

    def handle(self, *args, **options):
        try:
            status_number(options["status"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        try:
            report = sync_templates(status=options["status"])
        except (ZaloAPIError, ZnsConfigurationError) as exc:
            raise CommandError(f"Template sync failed, nothing changed: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Templates synced: {report}."))
