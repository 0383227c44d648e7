"""The parsers behind zns_notify.conf's typed settings: each value as the shop may write
it, and the error naming the key for one it may not."""

from decimal import Decimal

import pytest

from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.lib import setting_values as parse


def test_timeouts_one_number_or_a_pair():
    assert parse.seconds_pair(5) == (5.0, 5.0)
    assert parse.seconds_pair([3, "15"]) == (3.0, 15.0)


def test_key_lists_keep_only_real_strings():
    assert parse.nonempty_strings("k") == ["k"]
    assert parse.nonempty_strings(["a", None, " ", "", "b", 7]) == ["a", "b"]


def test_per_tag_values():
    defaults = {"TRANSACTION": 0, "CUSTOMER_CARE": 5, "PROMOTION": 3}
    assert parse.cap_by_tag(3, defaults) == {"*": 3}
    assert parse.cap_by_tag(None, defaults) == defaults
    assert parse.cap_by_tag(0, defaults) == {"*": 0}
    assert parse.cap_by_tag({"PROMOTION": 2, "CUSTOMER_CARE": None}, defaults) == {
        "TRANSACTION": 0,
        "PROMOTION": 2,
        "CUSTOMER_CARE": 0,
    }
    assert parse.cap_by_tag({"*": 1, "PROMOTION": 2}, defaults) == {"*": 1, "PROMOTION": 2}
    assert parse.windows_by_tag({"PROMOTION": ("22:00", "06:00"), "TRANSACTION": None}) == {
        "PROMOTION": ("22:00", "06:00")
    }


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: parse.options("K", []), 'ZNS_NOTIFY["K"] must be a dict.'),
        (lambda: parse.whole_number("K", 2.0, 1, 3), "must be a whole number from 1 to 3."),
        (lambda: parse.whole_number("K", True, 0, 3), "must be a whole number from 0 to 3."),
        (lambda: parse.price("K", "-1"), "must be a price in VND (0 or more)."),
        (lambda: parse.price("K", "NaN"), "must be a price in VND (0 or more)."),
        (lambda: parse.price("K", "abc"), "must be a price in VND (0 or more)."),
        (lambda: parse.one_of("K", "x", ("a", "b")), "is 'x'; use one of a, b."),
    ],
)
def test_a_value_that_cannot_be_read_names_its_key(call, message):
    with pytest.raises(ZnsConfigurationError) as raised:
        call()
    assert str(raised.value).startswith('ZNS_NOTIFY["K"]') and str(raised.value).endswith(message)


def test_prices_are_exact_and_none_stays_unknown():
    assert parse.price("K", 250.5) == Decimal("250.5")
    assert parse.price("K", None) is None
    assert parse.whole_number("K", 3, 1, 3) == 3
    assert parse.options("K", {"a": 1}) == {"a": 1}
