"""A worker process killed right after the ZNS outcome's commit
(tests/integration/test_fallback_sandbox.py).

``python -m tests.integration.fallback_worker KEY`` sends the message KEY as a django-q2
worker would, on the database ZNS_RACE_DATABASE_URL and the sandbox ZNS_RACE_ZALO_URL
(tests/integration/race_settings.py). The moment it would queue the SMS task, that is
after the transaction that recorded the ZNS outcome and its SMS step committed, the
process SIGKILLs itself: no cleanup, no on_commit hook after that one, no task.
"""

from __future__ import annotations

import os
import signal
import sys

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.integration.race_settings"

import django  # noqa: E402

django.setup()

from zns_notify.fallback import steps as fallback  # noqa: E402
from zns_notify.tasks import send_messages  # noqa: E402


def killed(references: list[str]) -> None:
    print(f"killed before queueing {references}", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    fallback.push_fallback_task = killed
    send_messages(sys.argv[1:])
    print("not killed: no SMS step was scheduled", flush=True)
