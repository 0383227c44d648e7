"""``manage.py zns_sandbox``: run the fake Zalo ZNS server in the foreground."""

from __future__ import annotations

import signal
import threading
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zns_notify.sandbox import SandboxServer, defaults

# ZNS_NOTIFY key -> (SandboxServer argument, demo default)
_CREDENTIALS = {
    "APP_ID": ("app_id", defaults.DEMO_APP_ID),
    "APP_SECRET": ("app_secret", defaults.DEMO_APP_SECRET),
    "OA_SECRET_KEY": ("oa_secret_key", defaults.DEMO_OA_SECRET_KEY),
}


def credentials_from_settings(zns_settings: Mapping[str, Any] | None) -> dict[str, str]:
    """The app id and secrets to sign with: ZNS_NOTIFY values when set and non-empty, else
    the demo defaults, so the sandbox and the app it calls back always agree."""
    zns_settings = zns_settings or {}
    out = {}
    for key, (argument, default) in _CREDENTIALS.items():
        value = zns_settings.get(key)
        out[argument] = str(value) if value else default
    return out


class Command(BaseCommand):
    help = (
        "Run the Zalo ZNS sandbox (a local fake of Zalo's ZNS and OAuth APIs) until "
        "Ctrl-C or SIGTERM."
    )
    requires_system_checks: list[str] = []  # a fake server needs neither DB nor app checks

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stop_event = threading.Event()
        self.server: SandboxServer | None = None

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=defaults.DEFAULT_HOST)
        parser.add_argument(
            "--port", type=int, default=defaults.DEFAULT_PORT, help="0 picks a free port"
        )
        parser.add_argument(
            "--webhook-url",
            default=defaults.DEFAULT_WEBHOOK_URL,
            help='where receipts are posted; "" or "none" to post nothing',
        )
        parser.add_argument(
            "--receipt-delay",
            type=float,
            default=defaults.RECEIPT_DELAY,
            help="seconds between an accepted send and its receipt",
        )
        parser.add_argument(
            "--receipt-ratio",
            type=float,
            default=defaults.RECEIPT_RATIO,
            help="share of accepted sends that get a receipt (0..1)",
        )
        parser.add_argument(
            "--webhook-ratio",
            type=float,
            default=defaults.WEBHOOK_RATIO,
            help="share of receipts posted as webhooks (0..1); the others "
            "show only in GET /message/status",
        )
        parser.add_argument("--daily-quota", type=int, default=defaults.DAILY_QUOTA)
        parser.add_argument(
            "--seed", type=int, default=None, help="seed receipts and faults for a reproducible run"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        zns_settings = getattr(settings, "ZNS_NOTIFY", None) if settings.configured else None
        webhook_url = options["webhook_url"]
        if not webhook_url or webhook_url.lower() == "none":
            webhook_url = None
        try:
            self.server = SandboxServer(
                options["host"],
                options["port"],
                webhook_url=webhook_url,
                receipt_delay=options["receipt_delay"],
                receipt_ratio=options["receipt_ratio"],
                webhook_ratio=options["webhook_ratio"],
                daily_quota=options["daily_quota"],
                seed=options["seed"],
                **credentials_from_settings(zns_settings),
            ).start()
        except (OSError, ValueError) as err:
            raise CommandError(f"Cannot start the sandbox: {err}") from err
        self._announce(self.server, webhook_url)
        self._install_signal_handlers()
        try:
            while not self.stop_event.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.server.stop()
            self.stdout.write("ZNS sandbox stopped.")

    def _announce(self, server: SandboxServer, webhook_url: str | None) -> None:
        config = server.state.config
        write = self.stdout.write
        write(self.style.SUCCESS(f"ZNS sandbox listening on {server.url}"))
        write(f"  API and OAuth base URL: {server.url}")
        write(f"  app id {config.app_id}, OA id {config.oa_id}")
        write(
            f"  receipts -> {webhook_url or '(none)'}"
            f" after {config.receipt_delay:g}s for {config.receipt_ratio:.0%} of sends"
            f" ({config.webhook_ratio:.0%} of them posted)"
        )
        write(f"  token pair:  curl -X POST {server.url}/_sandbox/tokens/mint")
        write(f"  phone view:  {server.url}/_sandbox/phone")
        write(
            f"  eSMS SMS API: base_url {server.url}, api_key {config.esms_api_key}, "
            f"brandname {', '.join(config.esms_brandnames)} (docs/sms.md)"
        )
        write("Quit with Ctrl-C.")

    def _install_signal_handlers(self) -> None:
        # Signals can only be handled in the main thread (tests run the command elsewhere).
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: self.stop_event.set())
