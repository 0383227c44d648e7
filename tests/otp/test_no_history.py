"""A check with a wrong code says nothing about the phone's codes: whether it never asked
for one, holds a live one, or had one that expired, was used, locked or replaced, the
answer is the same ``invalid_code``. ``expired``, ``reused`` and ``too_many_tries`` answer
only the right code: its holder learns nothing new."""

from __future__ import annotations

import pytest

from tests.otp.conftest import NORMALIZED, PHONE
from zns_notify.models import OtpChallenge
from zns_notify.otp import OtpRefused, Refusal, request_code, verify_code

pytestmark = pytest.mark.django_db(transaction=False)

NEVER_ASKED = "0912 345 600"
EXPIRED = "0912 345 601"
USED = "0912 345 602"
LOCKED = "0912 345 603"
LONG_AGO = "0912 345 604"


def refused(phone, code, **kwargs) -> OtpRefused:
    with pytest.raises(OtpRefused) as caught:
        verify_code(phone, "login", code, **kwargs)
    return caught.value


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def answer(refusal: OtpRefused) -> tuple:
    """Everything a caller can read off a refusal."""
    return refusal.as_dict(), vars(refusal), str(refusal)


def test_a_wrong_code_answers_alike_whatever_the_phones_history(clock, sent, otp_settings):
    otp_settings(OTP_TTL=120, OTP_MAX_TRIES=2, OTP_RESEND_COOLDOWN=0)
    request_code(LONG_AGO, "login")
    clock.advance(40 * 86400)  # its row is still kept (pruning is a separate task)
    for phone in (EXPIRED, USED, LOCKED):
        request_code(phone, "login")
    codes = {s.phone: s.code for s in sent}
    verify_code(USED, "login", codes["84912345602"])
    for _ in range(2):
        refused(LOCKED, wrong(codes["84912345603"]))
    clock.advance(121)
    request_code(PHONE, "login")  # live
    probe = next(c for c in ("000000", "111111", "222222") if c not in {s.code for s in sent})
    answers = {
        phone: answer(refused(phone, probe))
        for phone in (NEVER_ASKED, EXPIRED, USED, LOCKED, LONG_AGO, PHONE)
    }
    expected = answer(OtpRefused(Refusal.INVALID_CODE))
    assert answers == dict.fromkeys(answers, expected)
    assert expected[0] == {"code": "invalid_code", "message": "This code is not right."}


def test_a_wrong_try_at_a_live_code_still_counts_and_locks_it(clock, sent, otp_settings):
    otp_settings(OTP_MAX_TRIES=3)
    request_code(PHONE, "login")
    right = sent[0].code
    tries = [refused(PHONE, wrong(right)).as_dict() for _ in range(3)]
    # The try that locks the code answers like the others: no count of tries is given.
    assert tries == [{"code": "invalid_code", "message": "This code is not right."}] * 3
    row = OtpChallenge.objects.get()
    assert (row.tries_used, row.status) == (3, OtpChallenge.Status.LOCKED)
    assert refused(PHONE, right).code == Refusal.TOO_MANY_TRIES  # the holder is told
    assert refused(PHONE, wrong(right)).code == Refusal.INVALID_CODE
    assert OtpChallenge.objects.get().tries_used == 3  # a locked code counts no more


def test_expired_and_reused_answer_only_the_right_code(clock, sent, otp_settings):
    otp_settings(OTP_TTL=120, OTP_RESEND_COOLDOWN=0)
    request_code(PHONE, "login")
    used = sent[0].code
    assert verify_code(PHONE, "login", used).phone == NORMALIZED
    assert refused(PHONE, used).code == Refusal.REUSED
    assert refused(PHONE, wrong(used)).code == Refusal.INVALID_CODE
    request_code(PHONE, "login")
    late = sent[1].code
    clock.advance(120)
    assert refused(PHONE, wrong(late)).code == Refusal.INVALID_CODE
    assert OtpChallenge.objects.latest("created_at").tries_used == 0  # nothing to count
    assert refused(PHONE, late).code == Refusal.EXPIRED


def test_codes_older_than_the_grace_are_not_looked_at(clock, sent, otp_settings):
    otp_settings(OTP_TTL=120)
    request_code(PHONE, "login")
    code = sent[0].code
    clock.advance(120 + 3600 - 1)
    assert refused(PHONE, code).code == Refusal.EXPIRED
    clock.advance(1)
    # An hour after it ran out, even the right code is just not right: old rows are not read.
    assert refused(PHONE, code).code == Refusal.INVALID_CODE
