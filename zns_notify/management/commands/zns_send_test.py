"""Send one message right now: ``zns_send_test --template ID --phone P --data '{...}'``."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from zns_notify.account.tokens import get_access_token
from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError, ZnsInvalidPhone
from zns_notify.lib.phones import normalize_phone
from zns_notify.zalo.client import ZaloAPIError, ZaloClient


class Command(BaseCommand):
    help = "Send one ZNS message directly (development mode unless --production)."

    def add_arguments(self, parser):
        parser.add_argument("--template", required=True, help="Zalo template id.")
        parser.add_argument("--phone", required=True)
        parser.add_argument("--data", required=True, help="template_data as a JSON object.")
        parser.add_argument("--tracking-id", default="zns-send-test")
        parser.add_argument(
            "--production",
            action="store_true",
            help="Send for real (billed), not in development mode.",
        )

    def handle(self, *args, **options):
        try:
            data = json.loads(options["data"])
        except ValueError as exc:
            raise CommandError(f"--data is not valid JSON: {exc}") from exc
        if not isinstance(data, dict) or not data:
            raise CommandError("--data must be a non-empty JSON object of param -> value.")
        try:
            phone = normalize_phone(options["phone"])
            client = ZaloClient.from_settings()
            result = client.send_template(
                access_token=get_access_token(client),
                phone=phone,
                template_id=options["template"],
                data={str(k): str(v) for k, v in data.items()},
                tracking_id=options["tracking_id"][:48],
                development=not options["production"],
                hashed=app_settings.HASH_PHONE,
            )
        except (ZnsInvalidPhone, ZaloAPIError, ZnsConfigurationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Sent: msg_id={result.msg_id}"))
