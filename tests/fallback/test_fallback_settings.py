"""A binding's SMS fallback settings are checked before they are saved, each refusal
naming its field; and the REST API shows each message's fallback."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import BindingFactory, MessageFactory
from zns_notify.fallback.triggers import category
from zns_notify.fallback.validation import SAMPLE_VALUE, preview, sample_text
from zns_notify.models import Binding, FallbackStep
from zns_notify.models.fallback import DEFAULT_TRIGGERS

pytestmark = pytest.mark.django_db


def refusal(binding: Binding) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        binding.full_clean()
    return caught.value.message_dict


def test_a_valid_fallback_saves(sms_binding):
    sms_binding.full_clean()
    assert sms_binding.sms_triggers == DEFAULT_TRIGGERS


def test_default_binding_has_the_fallback_off():
    binding = BindingFactory()
    binding.full_clean()
    assert (binding.sms_enabled, binding.sms_window_minutes) == (False, 5)


def test_enabled_without_text_is_refused(sms_binding):
    sms_binding.sms_text = "  "
    assert refusal(sms_binding)["sms_text"] == ["Write the SMS text to turn the SMS fallback on."]


def test_enabled_without_a_provider_is_refused(settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SMS_PROVIDER": None}
    binding = BindingFactory.build(
        template=BindingFactory().template, sms_enabled=True, sms_text="Don hang {{ order_code }}"
    )
    assert "No SMS provider is configured" in refusal(binding)["sms_enabled"][0]


def test_text_that_is_not_a_template_is_refused(sms_binding):
    sms_binding.sms_text = "Don hang {% if order_code %}"
    assert "not a valid template" in refusal(sms_binding)["sms_text"][0]


def test_text_too_long_is_refused_with_its_count(sms_binding):
    sms_binding.sms_text = "Đơn hàng {{ order_code }} đã giao. " * 20
    [problem] = refusal(sms_binding)["sms_text"]
    assert "segments" in problem and "GSM-7" in problem  # measured after stripping


def test_text_is_measured_after_the_strip_option(sms_binding, settings):
    # 3 segments of UCS-2 with diacritics, 1 of GSM-7 without.
    sms_binding.sms_text = (
        "Cửa hàng Demo: đơn hàng {{ order_code }} của chị Hằng đã được giao thành công."
    )
    sms_binding.full_clean()
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "SMS_STRIP_DIACRITICS": False,
        "SMS_MAX_SEGMENTS": 1,
    }
    assert "segments" in refusal(sms_binding)["sms_text"][0]


@pytest.mark.parametrize(
    "triggers, expected",
    [
        ("not_on_zalo", "Give a list of trigger names"),
        ([1, 2], "Give a list of trigger names"),
        (["not_on_zalo", "sms_always"], "Unknown trigger(s): sms_always."),
    ],
)
def test_bad_triggers_are_refused(sms_binding, triggers, expected):
    sms_binding.sms_triggers = triggers
    assert expected in refusal(sms_binding)["sms_triggers"][0]


@pytest.mark.parametrize("minutes", [0, 24 * 60 + 1])
def test_window_out_of_range_is_refused(sms_binding, minutes):
    sms_binding.sms_window_minutes = minutes
    assert "sms_window_minutes" in refusal(sms_binding)


def test_text_of_a_disabled_fallback_is_still_checked(sms_binding):
    sms_binding.sms_enabled = False
    sms_binding.sms_text = "{% endif %}"
    assert "sms_text" in refusal(sms_binding)


def test_preview_measures_variables_as_sample_values(sms_binding):
    assert (
        sample_text("DH {{ order_code|upper }}{% if order.paid %} paid{% endif %}")
        == f"DH {SAMPLE_VALUE}"
    )
    shown = preview(sms_binding)
    assert shown.ok and shown.count.segments == 1 and shown.cost == 850


@pytest.mark.parametrize(
    "action, code, final, expected",
    [
        ("recipient", -118, True, "not_on_zalo"),
        ("recipient", -119, True, "not_on_zalo"),
        ("recipient", -114, True, "not_on_zalo"),
        ("recipient", -141, True, "refused"),
        ("config", -131, False, "template"),
        ("config", None, False, "template"),  # the gate's own hold: template not ENABLE
        ("reschedule", -144, False, "quota"),
        ("payload", -1121, True, "failed"),
        ("retry", -100, True, "failed"),
        ("retry", -100, False, None),  # a retry is no reason for an SMS
        ("reschedule", -133, False, None),  # the night ban lifts at 06:00
        ("config", -115, False, None),  # an account hold: the admin tops up
    ],
)
def test_trigger_categories(action, code, final, expected):
    assert category(action, code, final=final) == expected


def test_api_shows_the_fallback_of_each_message(sms_binding):
    user = User.objects.create_user("ops", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_message"))
    plain = MessageFactory()
    fell_back = MessageFactory(binding=sms_binding, status="delivered")
    FallbackStep.objects.create(
        message=fell_back,
        reference=f"{fell_back.idempotency_key}-sms",
        reason="window",
        trigger="window",
        due_at=timezone.now(),
        status="sent",
        segments=1,
        cost=850,
        double_cost=True,
        provider="esms",
        provider_message_id="abc",
    )
    client = APIClient()
    client.force_authenticate(user)
    rows = {row["id"]: row for row in client.get("/zns/api/messages/").json()["results"]}
    assert (
        rows[plain.pk]["channel"],
        rows[plain.pk]["fallback_status"],
        rows[plain.pk]["double_cost"],
        rows[plain.pk]["fallback"],
    ) == ("zns", None, False, None)
    row = rows[fell_back.pk]
    assert (row["channel"], row["fallback_status"], row["double_cost"]) == ("sms", "sent", True)
    assert row["fallback"]["segments"] == 1 and row["fallback"]["cost"] == "850.00"
    detail = client.get(f"/zns/api/messages/{fell_back.pk}/").json()
    assert detail["fallback"]["reason"] == "window"


def test_check_warns_of_fallback_bindings_without_a_provider(sms_binding, settings):
    from zns_notify.fallback.checks import check_fallback_provider

    assert check_fallback_provider(databases=["default"]) == []
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SMS_PROVIDER": None}
    [warning] = check_fallback_provider(databases=["default"])
    assert warning.id == "zns_notify.W030" and str(sms_binding) in warning.msg
    assert check_fallback_provider(databases=None) == []
