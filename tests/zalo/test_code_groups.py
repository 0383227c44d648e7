"""The code groups other folders react to are Zalo codes zalo/errors.py knows, with the
action each group stands for; and the SMS trigger names spell the same codes to operators
(their labels are translated msgids, so they are written out, not built from the groups)."""

from __future__ import annotations

import re

import pytest

from zns_notify.models.sms_triggers import CHOICES, NOT_ON_ZALO, QUOTA, REFUSED, TEMPLATE
from zns_notify.zalo.errors import (
    ERROR_CODES,
    NOT_ON_ZALO_CODES,
    QUOTA_CODES,
    REFUSED_CODES,
    RESCHEDULE_WINDOWS,
    TEMPLATE_SCOPED,
    ErrorAction,
    action_for,
)

GROUPS = {
    NOT_ON_ZALO: (NOT_ON_ZALO_CODES, ErrorAction.RECIPIENT),
    REFUSED: (REFUSED_CODES, ErrorAction.RECIPIENT),
    TEMPLATE: (TEMPLATE_SCOPED, ErrorAction.CONFIG),
    QUOTA: (QUOTA_CODES, ErrorAction.RESCHEDULE),
}


@pytest.mark.parametrize("trigger", sorted(GROUPS))
def test_every_code_of_a_group_is_known_with_the_group_s_action(trigger):
    codes, action = GROUPS[trigger]
    assert codes <= ERROR_CODES.keys()
    assert {action_for(code) for code in codes} == {action}


def test_quota_codes_lift_at_a_known_time():
    assert QUOTA_CODES <= RESCHEDULE_WINDOWS.keys()


@pytest.mark.parametrize("trigger", sorted(GROUPS))
def test_a_trigger_s_label_names_exactly_its_codes(trigger):
    label = str(dict(CHOICES)[trigger])
    assert {int(code) for code in re.findall(r"-\d+", label)} == GROUPS[trigger][0]
