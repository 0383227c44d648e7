"""One OS process of the token-churn run (tests/integration/test_token_churn.py).

``python -m tests.integration.token_churn setup N`` migrates the churn database, stores the
sandbox's token pair (ZNS_RACE_ACCESS / ZNS_RACE_REFRESH) and N queued messages.
``python -m tests.integration.token_churn worker SECONDS`` runs the worker's loop
(``send_keys`` with a top-up, as a django-q2 task does) until no message is queued or
SECONDS passed, and prints what it saw as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.integration.race_settings"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from tests.integration.token_race import PARAMS  # noqa: E402
from zns_notify.account.tokens import store_token_pair  # noqa: E402
from zns_notify.models import Message, Template, ZaloAccount  # noqa: E402
from zns_notify.sending.claim import postpone_all  # noqa: E402
from zns_notify.sending.send import send_keys  # noqa: E402

#: Requests in flight per worker.
CONCURRENCY = 8


def setup(count: int) -> None:
    call_command("migrate", verbosity=0)
    store_token_pair(
        access_token=os.environ["ZNS_RACE_ACCESS"],
        refresh_token=os.environ["ZNS_RACE_REFRESH"],
        expires_in=int(os.environ["ZNS_CHURN_EXPIRES_IN"]),
    )
    template, _ = Template.objects.get_or_create(
        template_id="100001", defaults={"name": "Xác nhận đơn hàng", "status": "ENABLE"}
    )
    Message.objects.bulk_create(
        Message(
            idempotency_key=f"churn{index:043d}",
            event="order_created",
            template=template,
            zalo_template_id="100001",
            phone=f"8491{index:07d}",
            params=PARAMS,
            order_ref=f"DH{index:06d}",
        )
        for index in range(count)
    )


def worker(seconds: float) -> None:
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "SEND_CONCURRENCY": CONCURRENCY,
        "SEND_BATCH": 2 * CONCURRENCY,
        "RETRY_BACKOFF": 0.2,
        "RETRY_BACKOFF_MAX": 0.5,
    }
    deadline = time.monotonic() + seconds
    settled = runs = waits = 0
    saw_reconnect = False
    while time.monotonic() < deadline:
        queued = Message.objects.filter(status=Message.Status.QUEUED)
        if not queued.exists() and not Message.objects.filter(status="sending").exists():
            break
        saw_reconnect |= ZaloAccount.objects.filter(needs_reconnect=True).exists()
        if postpone_all([]):  # the OA waits for a reconnect, as a send task would find it
            waits += 1
            time.sleep(0.2)
            continue
        runs += 1
        # One long task, as django-q2 runs one: its token ages and expires while it sends.
        done = send_keys([], top_up=1000, deadline=time.monotonic() + 30, overtime=lambda k: None)
        settled += done
        if not done:
            time.sleep(0.05)  # nothing due yet (a retry's backoff)
    saw_reconnect |= ZaloAccount.objects.filter(needs_reconnect=True).exists()
    print(
        json.dumps(
            {
                "settled": settled,
                "runs": runs,
                "postponed": waits,
                "saw_reconnect": saw_reconnect,
                "at": timezone.now().isoformat(),
            }
        )
    )


if __name__ == "__main__":
    action, *args = sys.argv[1:]
    if action == "setup":
        setup(int(args[0]))
    else:
        worker(float(args[0]))
