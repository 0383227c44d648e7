"""Properties of the segment counter over generated texts."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from zns_notify.sms import GSM7, UCS2, count_segments, strip_diacritics
from zns_notify.sms.segments import GSM7_BASIC, GSM7_EXTENSION, LIMITS

basic = st.text(alphabet=sorted(GSM7_BASIC), max_size=700)
gsm = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=700)
vietnamese = st.text(
    alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíị"
    "òỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ ĐƯƠ.,:0123456789",
    max_size=400,
)


@given(basic)
def test_basic_text_matches_the_arithmetic(text):
    count = count_segments(text)
    n = len(text)
    expected = 0 if n == 0 else 1 if n <= 160 else math.ceil(n / 153)
    assert (count.encoding, count.units, count.segments) == (GSM7, n, expected)


@given(gsm)
def test_segments_hold_the_units_and_never_waste_more_than_one(text):
    count = count_segments(text)
    if count.segments > 1:
        per = LIMITS[GSM7][1]
        capacity = count.segments * per
        assert count.units <= capacity - count.remaining
        # Only a pair pushed to the next segment leaves a unit unused: at most one each.
        assert capacity - count.remaining - count.units <= count.segments - 1
        assert 0 <= count.remaining < per


@given(vietnamese)
def test_stripping_never_costs_more(text):
    before, after = count_segments(text), count_segments(strip_diacritics(text))
    assert after.encoding == GSM7
    assert after.segments <= before.segments
    if before.encoding == UCS2 and len(text) > 160:
        assert after.segments < before.segments
