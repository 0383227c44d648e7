"""The SMS fallback step in the API's message: the phone masked in what the step says."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import MessageFactory
from zns_notify.models import FallbackStep

pytestmark = pytest.mark.django_db


def _failed_step(message) -> FallbackStep:
    return FallbackStep.objects.create(
        message=message,
        reference=f"{message.idempotency_key}-sms",
        reason="immediate",
        trigger="not_on_zalo",
        due_at=timezone.now(),
        status="failed",
        attempts=1,
        error_kind="permanent",
        error_message="SMS refused by http BAD_NUMBER: 0912345678 is not reachable [permanent]",
    )


def test_the_steps_error_has_the_phone_masked(as_user, reader):
    message = MessageFactory(phone="84912345678", status="failed")
    _failed_step(message)
    for url in (
        reverse("zns_notify:api_message_list"),
        reverse("zns_notify:api_message_detail", args=[message.pk]),
    ):
        body = as_user(reader).get(url).json()
        item = body["results"][0] if "results" in body else body
        assert item["fallback"]["error_message"] == (
            "SMS refused by http BAD_NUMBER: *******678 is not reachable [permanent]"
        )


def test_the_full_phone_permission_shows_it(as_user, full_reader):
    message = MessageFactory(phone="84912345678", status="failed")
    _failed_step(message)
    [item] = as_user(full_reader).get(reverse("zns_notify:api_message_list")).json()["results"]
    assert "0912345678 is not reachable" in item["fallback"]["error_message"]
