"""One OS process of the token race (tests/integration/test_token_race.py).

``python -m tests.integration.token_race setup N`` migrates the race database, stores an
already expired token pair (from ZNS_RACE_ACCESS / ZNS_RACE_REFRESH) and N queued messages.
``python -m tests.integration.token_race worker I N DIR`` waits until all N workers are up
(files in DIR), then asks for an access token (all N need a refresh at the same moment),
sends message I, and prints what it got as JSON: masked tokens only, never whole ones.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.integration.race_settings"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from zns_notify.account.tokens import get_access_token, store_token_pair  # noqa: E402
from zns_notify.models import Message, Template, ZaloAccount  # noqa: E402
from zns_notify.sandbox.tokens import mask_token  # noqa: E402
from zns_notify.sending.send import deliver  # noqa: E402

PARAMS = {
    "customer_name": "Lan",
    "order_code": "DH000001",
    "order_date": "01/01/2026",
    "total_amount": "1.000.000 đ",
}


def key(index: int) -> str:
    return f"race{index:044d}"


def setup(count: int) -> None:
    call_command("migrate", verbosity=0)
    store_token_pair(
        access_token=os.environ["ZNS_RACE_ACCESS"],
        refresh_token=os.environ["ZNS_RACE_REFRESH"],
        expires_in=1,
    )
    ZaloAccount.objects.update(access_token_expires_at="2000-01-01T00:00:00Z")
    template, _ = Template.objects.get_or_create(
        template_id="100001", defaults={"name": "Xác nhận đơn hàng", "status": "ENABLE"}
    )
    for index in range(count):
        Message.objects.create(
            idempotency_key=key(index),
            event="order_created",
            template=template,
            zalo_template_id="100001",
            phone="84912345678",
            params=PARAMS,
            order_ref=f"DH{index:06d}",
        )


def worker(index: int, count: int, rendezvous: Path) -> None:
    (rendezvous / str(index)).touch()
    deadline = time.monotonic() + 60
    while len(list(rendezvous.iterdir())) < count and time.monotonic() < deadline:
        time.sleep(0.005)
    started = time.monotonic()
    token = get_access_token()
    waited = time.monotonic() - started
    message = deliver(key(index))
    stored = ZaloAccount.objects.get().access_token
    print(
        json.dumps(
            {
                "index": index,
                "token": mask_token(token),
                "stored": mask_token(stored),
                "same_as_stored": token == stored,
                "seconds": round(waited, 3),
                "status": message.status if message else None,
            }
        )
    )


if __name__ == "__main__":
    action, *args = sys.argv[1:]
    if action == "setup":
        setup(int(args[0]))
    else:
        worker(int(args[0]), int(args[1]), Path(args[2]))
