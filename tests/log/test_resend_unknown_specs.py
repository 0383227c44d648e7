"""A message with no parameters is resent only when its template's parameter specs are
known and all optional: a template never synced (no specs) or deleted says nothing of what
Zalo requires, and a copy would go out with empty ``template_data``."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.factories import MessageFactory, TemplateFactory
from zns_notify.log import actions as log_actions
from zns_notify.models import Message

pytestmark = pytest.mark.django_db

OPTIONAL = [{"name": "note", "require": False, "type": "STRING", "max_length": 30}]


def test_a_message_without_parameters_whose_template_was_never_synced_is_refused():
    original = MessageFactory(status="failed", params={}, template=TemplateFactory(params=[]))
    with pytest.raises(log_actions.Refused) as refused:
        log_actions.resend(original, None)
    text = str(refused.value)
    assert f"Message #{original.pk}" in text and "no parameters" in text
    assert "not known" in text
    assert Message.objects.count() == 1


def test_a_message_without_parameters_whose_template_is_gone_is_refused():
    original = MessageFactory(status="failed", params={}, template=None, zalo_template_id="209999")
    with pytest.raises(log_actions.Refused, match="no parameters"):
        log_actions.resend(original, None)
    assert Message.objects.count() == 1


def test_the_refusal_is_translated():
    original = MessageFactory(status="failed", params={}, template=TemplateFactory(params=[]))
    with translation.override("vi"), pytest.raises(log_actions.Refused) as refused:
        log_actions.resend(original, None)
    assert "Không thể gửi lại tin nhắn" in str(refused.value)
    assert "không có tham số" in str(refused.value)


def test_a_message_without_parameters_whose_template_has_only_optional_ones_is_resent():
    original = MessageFactory(status="failed", params={}, template=TemplateFactory(params=OPTIONAL))
    assert log_actions.resend(original, None).params == {}
