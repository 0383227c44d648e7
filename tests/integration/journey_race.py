"""One OS process of the journey race (tests/integration/test_journey_race.py).

``python -m tests.integration.journey_race setup N`` migrates the race database, stores
the OA's token pair (ZNS_RACE_ACCESS / ZNS_RACE_REFRESH) and N queued messages of one
order, each bound to a journey. ``... worker I N DIR`` waits until all N workers are up
(files in DIR), then sends message I. ``... report`` prints, as JSON, the journeys and
which journey each message went under.
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

from zns_notify.account.tokens import store_token_pair  # noqa: E402
from zns_notify.models import Journey, Message, Template  # noqa: E402
from zns_notify.sandbox.catalogue import demo_templates  # noqa: E402
from zns_notify.sending.send import deliver  # noqa: E402

#: The order's delivery notices, both declared for the logistics token types.
TEMPLATES = ("100003", "100004")


def key(index: int) -> str:
    return f"jrace{index:043d}"


def setup(count: int) -> None:
    call_command("migrate", verbosity=0)
    store_token_pair(
        access_token=os.environ["ZNS_RACE_ACCESS"], refresh_token=os.environ["ZNS_RACE_REFRESH"]
    )
    for index in range(count):
        template_id = TEMPLATES[index % len(TEMPLATES)]
        template, _ = Template.objects.get_or_create(
            template_id=template_id, defaults={"name": template_id, "status": "ENABLE"}
        )
        Message.objects.create(
            idempotency_key=key(index),
            event=f"order_step_{index}",
            template=template,
            zalo_template_id=template_id,
            order_type="shop.order",
            order_pk="1",
            order_ref="DH000001",
            phone="84912345678",
            params=demo_templates()[template_id].sample_data(),
            journey_type="token_logistics_7",
        )


def worker(index: int, count: int, rendezvous: Path) -> None:
    (rendezvous / str(index)).touch()
    deadline = time.monotonic() + 60
    while len(list(rendezvous.iterdir())) < count and time.monotonic() < deadline:
        time.sleep(0.002)
    message = deliver(key(index))
    print(json.dumps({"index": index, "status": message.status if message else None}))


def report() -> None:
    messages = Message.objects.order_by("idempotency_key")
    print(
        json.dumps(
            {
                "journeys": list(Journey.objects.values("pk", "state", "journey_id")),
                "messages": [[m.status, m.journey_id, m.journey_fallback] for m in messages],
            }
        )
    )


if __name__ == "__main__":
    action, *args = sys.argv[1:]
    if action == "setup":
        setup(int(args[0]))
    elif action == "worker":
        worker(int(args[0]), int(args[1]), Path(args[2]))
    else:
        report()
