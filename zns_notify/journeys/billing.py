"""When a journey is billed and when it ends by Zalo's word (docs/journeys.md, rule 4).

Zalo bills a journey's token when the first message under it goes out: the first accepted
send sets ``first_sent_at`` and ``price`` (``JOURNEY_TOKEN_PRICE`` then, so a later change
of the setting does not rewrite the past). Zalo's ``event_journey_acknowledged`` confirms
it (``acknowledged_at``, and ``first_sent_at`` if no send of ours recorded it), and
``event_journey_time_out`` ends the journey (expired, "time_out").
"""

from __future__ import annotations

import datetime as dt

from django.db import router, transaction
from django.db.models import Q

from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsInvalidPhone
from zns_notify.lib.phones import normalize_phone
from zns_notify.models import Journey

State = Journey.State
#: ``Journey.end_reason`` of a journey Zalo's time-out event ended.
TIME_OUT = "time_out"


def first_accepted(journey: Journey, at: dt.datetime) -> None:
    """Zalo accepted a message under ``journey`` at ``at``: the first one bills it, once
    the caller's transaction (the batch recording the message) commits. Nothing is
    written or remembered before that: a batch rolled back and recorded again bills it
    then, and the batch never holds a journey's row lock (two workers billing two
    journeys in opposite orders would deadlock on PostgreSQL)."""
    if journey.first_sent_at is not None:
        return  # known billed: no statement at all for the journey's later messages
    using = router.db_for_write(Journey)
    transaction.on_commit(lambda: _bill(journey, at, using), using=using, robust=True)


def _bill(journey: Journey, at: dt.datetime, using: str) -> None:
    """One short conditional UPDATE of its own, so two workers' first messages bill it
    once. A failure is logged only: Zalo's acknowledged event bills it too."""
    if journey.first_sent_at is not None:  # an earlier message of the batch billed it
        return
    Journey.objects.using(using).filter(pk=journey.pk, first_sent_at__isnull=True).update(
        first_sent_at=at, price=app_settings.JOURNEY_TOKEN_PRICE
    )
    journey.first_sent_at = at  # billed now, by this worker or another


def find(journey_id: str, phone: str = "") -> Journey | None:
    """Our journey Zalo calls ``journey_id`` (the newest, should Zalo ever repeat an id;
    the phone, when the event gives one in a form we read, 84…, 0… or +84…, must match)."""
    if not journey_id:
        return None
    rows = Journey.objects.filter(journey_id=journey_id)
    try:
        rows = rows.filter(phone=normalize_phone(phone)) if phone else rows
    except ZnsInvalidPhone:
        pass  # a form we cannot read: the id alone decides
    return rows.order_by("-pk").first()


def acknowledge(journey: Journey, at: dt.datetime) -> bool:
    """Zalo's ``event_journey_acknowledged``: billing started at ``at``. False when the
    journey was acknowledged already."""
    acknowledged = Journey.objects.filter(pk=journey.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=at
    )
    # The first message's answer never came (or was recorded as unknown): Zalo billed it.
    Journey.objects.filter(pk=journey.pk, first_sent_at__isnull=True).update(
        first_sent_at=at, price=app_settings.JOURNEY_TOKEN_PRICE
    )
    return bool(acknowledged)


def time_out(journey: Journey, at: dt.datetime) -> bool:
    """Zalo's ``event_journey_time_out``: the journey is over. False when it had ended
    already (expired by the clock, -150, refused)."""
    return bool(
        Journey.objects.filter(Q(pk=journey.pk), Q(state__in=Journey.LIVE_STATES)).update(
            state=State.EXPIRED, end_reason=TIME_OUT, ended_at=at, requested_by=""
        )
    )
