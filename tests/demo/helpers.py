"""Helpers for the tests that start demo processes."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

from demo_shop.shop.processes import process_env

MANAGE_PY = Path(__file__).resolve().parents[2] / "manage.py"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_process_env(database_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a demo process on its own SQLite file.

    Nothing from the test run's environment may leak in: pytest-django exports the test
    settings as DJANGO_SETTINGS_MODULE, and a developer may have ZNS_* variables set.
    """
    leaking = ("ZNS_", "DJANGO_", "DEMO_", "DATABASE_URL", "REDIS_URL")
    base = {key: value for key, value in os.environ.items() if not key.startswith(leaking)}
    return process_env(
        {
            "DJANGO_SETTINGS_MODULE": "demo_shop.settings",
            "DATABASE_URL": f"sqlite:///{database_dir}/demo.sqlite3",
            **overrides,
        },
        base=base,
    )


def demo_sms_settings(sandbox_url: str) -> dict[str, object]:
    """The demo settings' SMS fallback (demo_shop/settings.py), pointed at a test's own
    sandbox instead of the demo's fixed port."""
    from zns_notify.sandbox import defaults

    return {
        "SMS_PROVIDER": "esms",
        "SMS_COST_PER_SEGMENT": 850,
        "SMS_PROVIDER_OPTIONS": {
            "api_key": defaults.DEMO_ESMS_API_KEY,
            "secret_key": defaults.DEMO_ESMS_SECRET_KEY,
            "brandname": defaults.DEMO_BRANDNAMES[0],
            "base_url": sandbox_url,
        },
    }


#: A code as the customer reads it on the sandbox's phone page: the OTP template's code
#: line (zns_notify.sandbox.phone_page), and the SMS text (OTP_SMS_TEXT's default).
ZNS_CODE = re.compile(r'<p class="otp">([^<]+)</p>')
SMS_CODE = re.compile(r"Ma xac thuc (\w+) cho")


def phone_page(sandbox_url: str, phone: str) -> str:
    """The sandbox's phone page of ``phone`` (84…): what the customer's phone shows."""
    import requests

    response = requests.get(f"{sandbox_url}/_sandbox/phone", params={"phone": phone}, timeout=5)
    response.raise_for_status()
    return response.text
