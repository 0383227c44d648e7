"""The lock order between a code's SMS and the check of its code. Recording the SMS locks
the message; checking the code locks its request (OtpChallenge) and then, to clear the
code, the message. The SMS's record sets the request's channel only after its commit,
so it never waits for the request while holding the message: the two cannot deadlock."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.factories import TemplateFactory
from zns_notify.fallback import codes as fallback_codes
from zns_notify.models import FallbackStep, Message, OtpChallenge
from zns_notify.otp import clearing, codes, request_code, verify_code
from zns_notify.tasks import send_fallbacks, send_messages

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "0912 345 678"
CODE = "907153"
#: Long enough for PostgreSQL's deadlock_timeout (1 s) to find a deadlock there was.
MEETING = 5


@pytest.fixture
def sms_due(settings, monkeypatch, account, zalo_api, sms_outbox) -> FallbackStep:
    """A code Zalo could not deliver (-118): its SMS due at once."""
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "OTP_SEND_FROM_REQUEST": False}
    monkeypatch.setattr(codes, "new_code", lambda: CODE)
    TemplateFactory(template_id="500", params=[{"name": "otp", "type": "OTP", "require": True}])
    request_code(PHONE, "login")
    message = Message.objects.get(event="otp:login")
    zalo_api.send_error(-118, "not on Zalo")
    send_messages([message.idempotency_key])
    return FallbackStep.objects.get(message=message)


def test_the_channel_is_set_after_the_sms_record_commits(sms_due, monkeypatch):
    inside: list[bool] = []
    real = fallback_codes.sent_by_sms

    def sent_by_sms(message_pk):
        inside.append(connection.in_atomic_block)
        real(message_pk)

    monkeypatch.setattr(fallback_codes, "sent_by_sms", sent_by_sms)
    assert send_fallbacks([sms_due.reference]) == 1
    assert inside == [False]  # not under the message's lock
    assert OtpChallenge.objects.get().channel == OtpChallenge.Channel.SMS


def test_the_sms_record_and_a_right_code_checked_at_once_do_not_deadlock(sms_due, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one write lock, no row locks to deadlock on (ZNS_TEST_DB=postgres)")
    # Each side waits, holding its first lock, until the other holds its own: the SMS's
    # record (the message, if it set the channel inside) and the check (the request).
    sms_ready, check_ready = threading.Event(), threading.Event()
    real_sent_by_sms, real_retire = fallback_codes.sent_by_sms, clearing.retire

    def sent_by_sms(message_pk):
        sms_ready.set()
        check_ready.wait(MEETING)
        real_sent_by_sms(message_pk)

    def retire(challenges, now=None):
        check_ready.set()
        sms_ready.wait(MEETING)
        return real_retire(challenges, now)

    monkeypatch.setattr(fallback_codes, "sent_by_sms", sent_by_sms)
    monkeypatch.setattr(clearing, "retire", retire)
    outcomes: dict[str, object] = {}

    def run(name, job):
        try:
            outcomes[name] = job()
        except BaseException as exc:  # noqa: BLE001 asserted below
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=("sms", lambda: send_fallbacks([sms_due.reference]))),
        threading.Thread(target=run, args=("check", lambda: verify_code(PHONE, "login", CODE))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes["sms"] == 1, outcomes
    assert outcomes["check"].phone == "84912345678", outcomes
    challenge = OtpChallenge.objects.get()
    assert (challenge.status, challenge.channel) == ("verified", OtpChallenge.Channel.SMS)
    assert FallbackStep.objects.get().status == "sent"
