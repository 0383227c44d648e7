"""Which synced template carries the codes, and which parameter holds the code."""

from __future__ import annotations

import pytest

from tests.factories import TemplateFactory
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.models import Template
from zns_notify.otp.template import otp_template

pytestmark = pytest.mark.django_db

CODE = {"name": "otp", "type": "OTP", "require": True, "max_length": 10}
NAME = {"name": "customer_name", "type": "STRING", "require": True, "max_length": 30}


def test_the_template_with_an_otp_parameter_is_found():
    TemplateFactory(template_id="100")  # an order template
    wanted = TemplateFactory(template_id="200", params=[NAME, {**CODE, "type": "12"}])
    assert otp_template() == (wanted, "otp")


def test_the_old_otp_tag_with_one_parameter():
    wanted = TemplateFactory(template_id="300", zalo_tag="OTP", params=[{**CODE, "type": "STRING"}])
    assert otp_template() == (wanted, "otp")


def test_disabled_templates_are_not_guessed():
    TemplateFactory(template_id="200", params=[CODE], status=Template.Status.DISABLE)
    with pytest.raises(ZnsConfigurationError, match="OTP_TEMPLATE_ID"):
        otp_template()


def test_two_candidates_ask_for_the_setting(otp_settings):
    TemplateFactory(template_id="200", params=[CODE])
    TemplateFactory(template_id="201", params=[CODE])
    with pytest.raises(ZnsConfigurationError, match=r"\(200, 201\).*OTP_TEMPLATE_ID"):
        otp_template()
    otp_settings(OTP_TEMPLATE_ID="201")
    assert otp_template().template.template_id == "201"


def test_settings_name_the_template_and_parameter(otp_settings):
    wanted = TemplateFactory(template_id="400", params=[NAME, {**CODE, "type": "STRING"}])
    otp_settings(OTP_TEMPLATE_ID="400")
    with pytest.raises(ZnsConfigurationError, match="OTP_CODE_PARAM"):
        otp_template()
    otp_settings(OTP_TEMPLATE_ID="400", OTP_CODE_PARAM="otp")
    assert otp_template() == (wanted, "otp")
    otp_settings(OTP_TEMPLATE_ID="400", OTP_CODE_PARAM="pin")
    with pytest.raises(ZnsConfigurationError, match="'pin'.*customer_name, otp"):
        otp_template()


def test_an_unsynced_template_id_is_named(otp_settings):
    otp_settings(OTP_TEMPLATE_ID="999")
    with pytest.raises(ZnsConfigurationError, match="'999'.*zns_sync_templates"):
        otp_template()
