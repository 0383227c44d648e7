"""rundemo: start the sandbox, the web server and a qcluster worker together (``make demo``).

Seeds the demo once the sandbox answers, prints where to look, then supervises: Ctrl-C
or SIGTERM stops every child; if one child dies, the others are stopped and the command
exits non-zero. ``--check`` runs ``zns_demo`` against the running demo and exits with its
code, for trying ``make demo`` without a terminal.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import override_settings

from ...demo_catalogue import ADMIN_PASSWORD, ADMIN_USERNAME
from ...demo_seed import DemoSetupError, seed_demo
from ...processes import ChildFailed, ManagePy, process_env, wait_for_any_exit, wait_for_http
from ...signup import NOT_ON_ZALO_PHONE

STARTUP_TIMEOUT = 30.0


class Shutdown(Exception):
    """Ctrl-C or SIGTERM arrived: stop the children and exit."""


def _raise_shutdown(signum, frame) -> None:
    raise Shutdown


class Command(BaseCommand):
    help = "Run the demo: Zalo sandbox, demo_shop web server and a qcluster worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Interface for both servers.")
        parser.add_argument(
            "--web-port",
            type=int,
            default=int(os.environ.get("DEMO_WEB_PORT", 8000)),
            help="Port of the shop (default $DEMO_WEB_PORT or 8000).",
        )
        parser.add_argument(
            "--sandbox-port",
            type=int,
            default=int(os.environ.get("DEMO_SANDBOX_PORT", 8765)),
            help="Port of the Zalo sandbox (default $DEMO_SANDBOX_PORT or 8765).",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Start everything, run `zns_demo --orders N` against it, stop, and exit "
            "with zns_demo's exit code.",
        )
        parser.add_argument(
            "--check-orders", type=int, default=2, help="Orders for --check (default 2)."
        )

    def handle(self, *args, host, web_port, sandbox_port, check, check_orders, **options):
        web_url, sandbox_url = f"http://{host}:{web_port}", f"http://{host}:{sandbox_port}"
        self._refuse_other_zalo(sandbox_url)
        self._require_migrated()
        # Children read the sandbox's URL from the environment like any demo process.
        manage = ManagePy(
            Path(settings.BASE_DIR) / "manage.py",
            process_env({"ZNS_API_BASE_URL": sandbox_url, "ZNS_OAUTH_BASE_URL": sandbox_url}),
        )
        # SIGINT explicitly too: a shell that starts us in the background ignores it, and
        # Python then never turns it into KeyboardInterrupt.
        previous_handlers = {
            signum: signal.signal(signum, _raise_shutdown)
            for signum in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            self._start(manage, host, web_port, sandbox_port, web_url, sandbox_url)
            if check:
                code = manage.run("zns_demo", "--orders", str(check_orders), "--timeout", "60")
                if code:
                    raise CommandError(f"zns_demo exited with code {code}.", returncode=code)
                self.stdout.write(self.style.SUCCESS("Demo check passed."))
                return
            exited = wait_for_any_exit(manage)
            raise CommandError(
                f"{exited.name} exited with code {exited.exit_code}; stopping the demo."
            )
        except Shutdown:
            self.stdout.write("\nStopping the demo…")
        except (ChildFailed, DemoSetupError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            manage.stop_all()
            for signum, handler in previous_handlers.items():
                signal.signal(signum, handler)

    def _start(self, manage, host, web_port, sandbox_port, web_url, sandbox_url) -> None:
        sandbox = manage.start(
            "zns_sandbox",
            "zns_sandbox",
            "--port",
            str(sandbox_port),
            "--webhook-url",
            f"{web_url}/zns/webhook/",
        )
        wait_for_http(f"{sandbox_url}/_sandbox/tracking", sandbox, timeout=STARTUP_TIMEOUT)
        # Seed in this process, against the sandbox just started (settings are read live).
        here = {**settings.ZNS_NOTIFY, "API_BASE_URL": sandbox_url, "OAUTH_BASE_URL": sandbox_url}
        with override_settings(ZNS_NOTIFY=here):
            report = seed_demo()
            showcase = self._fallback_showcase()
        self.stdout.write(f"Seeded the demo: {report}.")
        if showcase is not None:
            self.stdout.write(
                f"SMS fallback showcase: order {showcase.code} of "
                f"{showcase.customer_name} (not on Zalo); the worker sends it."
            )
        web = manage.start("runserver", "runserver", f"{host}:{web_port}", "--noreload")
        manage.start("qcluster", "qcluster")
        wait_for_http(f"{web_url}/", web, timeout=STARTUP_TIMEOUT)
        self._print_banner(web_url, sandbox_url)

    @staticmethod
    def _fallback_showcase():
        """An order for the customer Zalo cannot reach, once: its shipped and delivered
        notices fall back to SMS (on the sandbox's /_sandbox/sms and phone page)."""
        from zns_notify import sms

        from ...demo_driver import place_fallback_showcase

        return place_fallback_showcase() if sms.is_enabled() else None

    def _print_banner(self, web_url: str, sandbox_url: str) -> None:
        lines = [
            "",
            "The demo is running:",
            f"  Storefront      {web_url}/",
            f"  Admin           {web_url}/admin/   login {ADMIN_USERNAME} / {ADMIN_PASSWORD}",
            f"  Sign-up (OTP)   {web_url}/signup/   ({NOT_ON_ZALO_PHONE}: not on Zalo, SMS)",
            f"  Customer phone  {sandbox_url}/_sandbox/phone",
            f"  SMS sent        {sandbox_url}/_sandbox/sms   (the SMS fallback, eSMS mode)",
            "",
            "Place an order, then move it through Mark paid / Mark shipped / Mark delivered",
            "in the admin: each step sends a ZNS message that the phone page shows.",
            "For 20 orders at once, in another terminal:",
            f"  {self._zns_demo_hint(sandbox_url)}",
            "Ctrl-C stops everything.",
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))

    def _zns_demo_hint(self, sandbox_url: str) -> str:
        command = ".venv/bin/python manage.py zns_demo --orders 20"
        if sandbox_url == settings.ZNS_NOTIFY["API_BASE_URL"]:
            return command
        # A non-default sandbox port: zns_demo must be told where the sandbox is.
        return f"ZNS_API_BASE_URL={sandbox_url} ZNS_OAUTH_BASE_URL={sandbox_url} {command}"

    def _refuse_other_zalo(self, sandbox_url: str) -> None:
        configured = os.environ.get("ZNS_API_BASE_URL")
        if configured and configured.rstrip("/") != sandbox_url:
            raise CommandError(
                f"ZNS_API_BASE_URL is {configured}, but rundemo runs against its own sandbox "
                f"at {sandbox_url}. Unset it, or run runserver and qcluster yourself for that "
                "server."
            )

    def _require_migrated(self) -> None:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database is not migrated: run `manage.py migrate` first.")
