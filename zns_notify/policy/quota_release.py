"""The quota-priority rule's other half: when Zalo raises today's quota, the messages it
sent to wait for the reset (:mod:`zns_notify.policy.rules`, ``QUOTA_RESERVES``) come due
now if the new quota is above their tag's reserve."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zns_notify.account.quota import quota_raised
from zns_notify.conf import app_settings
from zns_notify.lib import clock
from zns_notify.lib.delays import WINDOW_SPREAD_SECONDS
from zns_notify.models import Message, ZaloQuota
from zns_notify.models.error_categories import POLICY as CATEGORY


def release_quota_deferrals(remaining: int | None, now: dt.datetime | None = None) -> int:
    """Zalo raised today's quota (:data:`zns_notify.account.quota.quota_raised`): the messages
    the quota-priority rule sent to wait for the reset come due now when ``remaining`` is
    above their tag's reserve (the gate checks them again). Only deferrals to the reset are
    touched, not quiet hours."""
    reserves = app_settings.QUOTA_RESERVES
    tags = [tag for tag, reserve in reserves.items() if reserve > 0 and (remaining or 0) > reserve]
    if not tags:
        return 0
    now = now or timezone.now()
    midnight = clock.next_midnight(now)
    return Message.objects.filter(
        status=Message.Status.QUEUED,
        error_category=CATEGORY,
        template__tag__in=tags,
        next_attempt_at__gte=midnight,
        next_attempt_at__lte=midnight + dt.timedelta(seconds=WINDOW_SPREAD_SECONDS),
    ).update(next_attempt_at=now)


def connect_quota_release() -> None:
    """Release the quota-priority deferrals whenever the ledger's quota goes up (called
    once, from ``AppConfig.ready``)."""
    quota_raised.connect(
        _release_on_raise, sender=ZaloQuota, dispatch_uid="zns_notify.policy.quota_raised"
    )


def _release_on_raise(sender, *, remaining: int, now: dt.datetime, **kwargs) -> None:
    release_quota_deferrals(remaining, now)
