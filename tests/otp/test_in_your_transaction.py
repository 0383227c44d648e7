"""verify_code in the caller's own transaction (transaction.atomic, ATOMIC_REQUESTS): the
wrong try, the lock and the check's count are written in that transaction. The pattern
docs/otp.md gives — catch OtpRefused inside it and return normally — keeps them; letting
the refusal out of the block rolls them back, which is why the docs say not to."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.otp.conftest import PHONE
from zns_notify.models import OtpChallenge, OtpCheck
from zns_notify.otp import OtpRefused, Refusal, request_code, verify_code

pytestmark = pytest.mark.django_db(transaction=False)

IP = "203.0.113.7"


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def check_in_a_view_transaction(code: str) -> str:
    """The documented pattern: the refusal caught inside the transaction, answered as a
    normal return."""
    with transaction.atomic():
        try:
            verify_code(PHONE, "login", code, client_ip=IP)
        except OtpRefused as refusal:
            return str(refusal.code)
        return "verified"


def test_catching_the_refusal_inside_the_transaction_keeps_the_tries(clock, sent, otp_settings):
    otp_settings(OTP_MAX_TRIES=2)
    request_code(PHONE, "login")
    right = sent[0].code
    assert check_in_a_view_transaction(wrong(right)) == Refusal.INVALID_CODE
    assert OtpChallenge.objects.get().tries_used == 1
    assert check_in_a_view_transaction(wrong(right)) == Refusal.INVALID_CODE
    assert OtpChallenge.objects.get().status == OtpChallenge.Status.LOCKED
    assert check_in_a_view_transaction(right) == Refusal.TOO_MANY_TRIES
    assert OtpCheck.objects.count() == 3


def test_a_refusal_let_out_of_the_transaction_rolls_the_try_back(clock, sent):
    request_code(PHONE, "login")
    with pytest.raises(OtpRefused), transaction.atomic():
        verify_code(PHONE, "login", wrong(sent[0].code), client_ip=IP)
    # Not counted: a view doing this would let a guesser try codes without end.
    assert OtpChallenge.objects.get().tries_used == 0
    assert not OtpCheck.objects.exists()
