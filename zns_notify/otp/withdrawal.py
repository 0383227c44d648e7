"""A code that is no longer live never arrives late: its message still waiting for the
worker (queued, or deferred) is cancelled, with a note saying why, and its SMS step not
yet claimed with it.

Called in the transaction that changed the code's status (a newer request, a check, the
sweep), so the two commit together. The message is cancelled through the one
conditional UPDATE of :func:`zns_notify.sending.cancel.cancel_waiting`: a worker that
claimed it first keeps it. A message already sending or sent is left alone; its SMS is
refused when it falls due (:func:`zns_notify.fallback.codes.no_longer_valid`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import router
from django.utils.translation import gettext as _

from zns_notify.fallback import steps as fallback
from zns_notify.lib import clock
from zns_notify.models import Message, OtpChallenge
from zns_notify.models.error_categories import CODE_NO_LONGER_VALID
from zns_notify.models.otp import not_sent_because
from zns_notify.sending.cancel import WAITING, cancel_waiting

Status = OtpChallenge.Status


def withdraw(challenges: Iterable[OtpChallenge], now: dt.datetime | None = None) -> int:
    """Cancel the message of each of ``challenges`` (no longer live) that has not gone to
    Zalo yet, and its scheduled SMS; returns how many messages were cancelled."""
    now = now or clock.now()
    using = router.db_for_write(Message)
    done = 0
    for challenge in challenges:
        if challenge.status == Status.PENDING or challenge.message_id is None:
            continue
        message = Message.objects.using(using).filter(pk=challenge.message_id, status=WAITING)
        found = message.first()
        if found is None:
            continue
        if not cancel_waiting(
            found,
            rule=CODE_NO_LONGER_VALID,
            reason=not_sent_because(challenge.status),
            at=now,
            using=using,
        ):
            continue  # a worker claimed it in between: it goes out, its SMS is refused
        fallback.cancel_scheduled(
            found.pk, now, _("SMS fallback cancelled: the one-time code is no longer valid."), using
        )
        done += 1
    return done
