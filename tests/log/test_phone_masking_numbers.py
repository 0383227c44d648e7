"""A phone number sent as a JSON number (Zalo's answer, a webhook body) or used as a key
is masked like one written as text, for staff without ``view_full_phone``."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import MessageFactory
from tests.log.test_delivery_log import attempt
from tests.users import staff_user
from zns_notify.lib.phones import mask_phones, mask_phones_in
from zns_notify.log.timeline import clean

pytestmark = pytest.mark.django_db

PHONE = "84912345671"


def test_a_number_as_a_json_number_or_a_key_is_masked_in_the_api_timeline():
    message = MessageFactory(phone=PHONE, status="sent")
    attempt(
        message,
        template_data={"contact": "Lan", PHONE: "a key"},
        answer={"error": 0, "data": {"phone": int(PHONE), "national": 912345671, "sent": 3}},
    )
    api = APIClient()
    api.force_authenticate(staff_user("view_message"))
    response = api.get(f"/zns/api/messages/{message.pk}/")
    assert response.status_code == 200
    assert "912345671" not in response.content.decode()
    body = response.json()["timeline"][-1]["payload"]["request"]["body"]
    assert body["answer"]["data"] == {"phone": "********671", "national": "******671", "sent": 3}
    assert body["answer"]["error"] == 0
    assert body["template_data"] == {"contact": "Lan", "********671": "a key"}


def test_staff_with_the_permission_see_the_json_number_whole():
    payload = {"phone": int(PHONE), int(PHONE): True}
    assert clean(payload, PHONE, full_phone=True) == payload


def test_other_numbers_and_flags_stay_as_they_are():
    payload = {"hotline": 842838123456, "count": 671, "ok": True, "rate": 0.5, "id": 123}
    assert clean(payload, PHONE, full_phone=False) == payload


def test_a_json_number_is_masked_like_the_same_digits_as_text():
    assert mask_phones_in(int(PHONE)) == mask_phones(PHONE) == "********671"
    assert mask_phones_in(84912345671.0, PHONE) == "********671.0"
    assert mask_phones_in(912345671, PHONE) == "******671"
    assert mask_phones_in(True) is True
    assert mask_phones_in(None, PHONE) is None
    assert mask_phones_in(842838123456, PHONE) == 842838123456
