"""Old rows of one-time codes deleted: the requests (:class:`~zns_notify.models.OtpChallenge`)
and the checks counted per client IP (:class:`~zns_notify.models.OtpCheck`) older than
``OTP_KEEP_DAYS``, by the daily task ``zns_notify.tasks.prune_otp``.

Never a live code, nor one whose code is still in its message: the challenge is what the
sweep clears the message from (:mod:`zns_notify.otp.clearing`), so it waits until that is
done. The messages themselves stay in the delivery log. Deleted in batches, each in its
own short transaction, so a large backlog never holds a long lock on the tables the
requests write to.
"""

from __future__ import annotations

import datetime as dt

from django.db import router, transaction

from zns_notify.conf import app_settings
from zns_notify.lib import clock
from zns_notify.models import OtpChallenge, OtpCheck

#: Rows deleted per statement.
BATCH = 1000


def prune(now: dt.datetime | None = None) -> int:
    """Delete the rows older than ``OTP_KEEP_DAYS``; returns how many."""
    now = now or clock.now()
    before = now - dt.timedelta(days=app_settings.OTP_KEEP_DAYS)
    done = OtpChallenge.objects.filter(created_at__lt=before, code_cleared_at__isnull=False)
    done = done.exclude(status=OtpChallenge.Status.PENDING)
    checks = OtpCheck.objects.filter(created_at__lt=before)
    return _in_batches(done) + _in_batches(checks)


def _in_batches(rows) -> int:
    deleted = 0
    while True:
        # Oldest first, by the created_at index; the keys read, then deleted by key (a
        # DELETE with a LIMIT is not portable).
        pks = list(rows.order_by("created_at").values_list("pk", flat=True)[:BATCH])
        if not pks:
            return deleted
        deleted += _delete(rows.model, pks)


def _delete(model, pks: list[int]) -> int:
    using = router.db_for_write(model)
    with transaction.atomic(using=using):
        count, _by_model = model.objects.using(using).filter(pk__in=pks).delete()
    return count
