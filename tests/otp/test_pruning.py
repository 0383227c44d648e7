"""OTP_KEEP_DAYS: the daily task zns_notify.tasks.prune_otp deletes the one-time code rows
(requests, and the checks the per-IP limit counts) older than that, in batches; never a
live code, nor one whose code is still in its message."""

from __future__ import annotations

import datetime as dt

import pytest
from django_q.models import Schedule

from tests.otp.conftest import START
from zns_notify import tasks
from zns_notify.models import Message, OtpChallenge, OtpCheck
from zns_notify.otp import pruning

pytestmark = pytest.mark.django_db(transaction=False)

DAY = dt.timedelta(days=1)


def challenge(age: dt.timedelta, status: str = "expired", *, cleared: bool = True, n: int = 0):
    at = START - age
    return OtpChallenge.objects.create(
        phone=f"849123456{n:02d}",
        purpose="login",
        code_hash="h" * 64,
        status=status,
        created_at=at,
        expires_at=at + dt.timedelta(minutes=5),
        code_cleared_at=at + dt.timedelta(minutes=6) if cleared else None,
    )


def check(age: dt.timedelta) -> OtpCheck:
    return OtpCheck.objects.create(ip_hash="i" * 64, created_at=START - age)


def test_rows_older_than_otp_keep_days_are_deleted(clock):
    old = [
        challenge(31 * DAY, status, n=n)
        for n, status in enumerate(["expired", "verified", "superseded", "locked"])
    ]
    kept = challenge(29 * DAY, n=9)
    check(31 * DAY)
    recent = check(29 * DAY)
    assert tasks.prune_otp() == len(old) + 1
    assert list(OtpChallenge.objects.all()) == [kept]
    assert list(OtpCheck.objects.all()) == [recent]


def test_the_days_kept_are_a_setting(clock, otp_settings):
    otp_settings(OTP_KEEP_DAYS=2)
    challenge(3 * DAY)
    kept = challenge(DAY, n=1)
    check(3 * DAY)
    assert pruning.prune() == 2
    assert list(OtpChallenge.objects.all()) == [kept] and not OtpCheck.objects.exists()


def test_never_a_live_code_nor_one_still_in_its_message(clock):
    pending = challenge(40 * DAY, "pending", cleared=False)
    uncleared = challenge(40 * DAY, "expired", cleared=False, n=1)
    assert pruning.prune() == 0
    assert set(OtpChallenge.objects.all()) == {pending, uncleared}


def test_the_messages_stay_in_the_delivery_log(clock):
    from tests.factories import MessageFactory

    message = MessageFactory(event="otp:login")
    row = challenge(40 * DAY)
    OtpChallenge.objects.filter(pk=row.pk).update(message=message)
    assert pruning.prune() == 1
    assert Message.objects.filter(pk=message.pk).exists()


def test_it_deletes_in_batches(clock, monkeypatch):
    monkeypatch.setattr(pruning, "BATCH", 2)
    for n in range(5):
        challenge(40 * DAY, n=n)
        check(40 * DAY)
    deletes = []
    real = pruning._delete

    def counting(model, pks):
        deletes.append(len(pks))
        return real(model, pks)

    monkeypatch.setattr(pruning, "_delete", counting)
    assert pruning.prune() == 10
    assert deletes == [2, 2, 1, 2, 2, 1]
    assert not OtpChallenge.objects.exists() and not OtpCheck.objects.exists()


def test_it_runs_once_a_day(clock):
    tasks.ensure_schedules()
    schedule = Schedule.objects.get(name="zns_notify.prune_otp")
    assert (schedule.func, schedule.minutes) == ("zns_notify.tasks.prune_otp", 24 * 60)
