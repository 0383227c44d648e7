"""Store and inspect the OA token pair: ``zns_tokens set|show|refresh``."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zns_notify.account.tokens import refresh_access_token, store_token_pair
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.models import ZaloAccount
from zns_notify.zalo.client import ZaloAPIError


class Command(BaseCommand):
    help = "Store, show or refresh the Zalo OA token pair (tokens are never printed)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        set_parser = sub.add_parser("set", help="Store a pair minted in Zalo's API Explorer.")
        # "-" reads the token from standard input, keeping it out of `ps` and shell history.
        set_parser.add_argument(
            "--access-token", required=True, help='The token, or "-" to read it from stdin.'
        )
        set_parser.add_argument(
            "--refresh-token", required=True, help='The token, or "-" to read it from stdin.'
        )
        set_parser.add_argument(
            "--expires-in", type=int, default=90000, help="Seconds (default 90000)."
        )
        set_parser.add_argument("--oa-id", default="")
        sub.add_parser("show", help="Show the account and token expiry.")
        sub.add_parser("refresh", help="Rotate the pair now.")

    def handle(self, *args, action: str, **options):
        if action == "set":
            if options["expires_in"] <= 0:
                raise CommandError("--expires-in must be a positive number of seconds.")
            try:
                account = store_token_pair(
                    access_token=self._token(options["access_token"]),
                    refresh_token=self._token(options["refresh_token"]),
                    expires_in=options["expires_in"],
                    oa_id=options["oa_id"],
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(self.style.SUCCESS(f"Token pair stored on account {account.pk}."))
        elif action == "refresh":
            try:
                refresh_access_token()
            except (ZaloAPIError, ZnsConfigurationError) as exc:
                raise CommandError(f"Refresh failed: {exc}") from exc
            self.stdout.write(self.style.SUCCESS("Token pair refreshed."))
        self._show()

    def _token(self, value: str) -> str:
        return (self.stdin.readline() if value == "-" else value).strip()

    def execute(self, *args, **options):
        self.stdin = options.pop("stdin", None) or sys.stdin
        return super().execute(*args, **options)

    def _show(self) -> None:
        account = ZaloAccount.objects.current()
        if account is None:
            self.stdout.write("No Zalo account connected.")
            return
        now = timezone.now()
        expires = account.access_token_expires_at
        state = "connected" if account.is_connected else "not connected"
        if account.needs_reconnect:
            since = (
                account.needs_reconnect_since.isoformat() if account.needs_reconnect_since else "-"
            )
            reason = account.reconnect_reason or "no reason recorded"
            state = f"needs-reconnect since {since} ({reason})"
        left = f"{int((expires - now).total_seconds())} s left" if expires else "unknown expiry"
        refresh_expires = account.refresh_token_expires_at
        self.stdout.write(
            f"account={account.pk} oa_id={account.oa_id or '-'} state={state} "
            f"access_token_expires_at={expires.isoformat() if expires else '-'} ({left}) "
            f"refresh_token_expires_at={refresh_expires.isoformat() if refresh_expires else '-'}"
        )
