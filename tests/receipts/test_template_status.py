"""A signed ``change_template_status`` stores only a status of the API's enum: Zalo's
documented spellings (any case, dashes or spaces, past participles, its filter numbers) map
to their status; anything else is ``UNKNOWN``, with the raw value kept in the template's
note and the log for operators."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import TemplateFactory
from tests.receipts.test_webhook_events import deliver_event, template_status
from tests.users import staff_user
from zns_notify.models import Template, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("ENABLE", "ENABLE"),
        ("enable", "ENABLE"),
        ("Enabled", "ENABLE"),
        (" pending review ", "PENDING_REVIEW"),
        ("Pending-Review", "PENDING_REVIEW"),
        ("DRAFT", "PENDING_REVIEW"),
        ("rejected", "REJECT"),
        ("DISABLED", "DISABLE"),
        ("deleted", "DELETE"),
        (4, "DISABLE"),
        ("1", "ENABLE"),
    ],
)
def test_zalos_spellings_map_to_the_enum(raw, status):
    template = TemplateFactory(status="PENDING_REVIEW")
    response = deliver_event(Client(), template_status(template.template_id, raw))
    assert response.status_code == 200 and response.json()["outcome"] == "applied"
    template.refresh_from_db()
    assert template.status == status


@pytest.mark.parametrize("raw", ["SUSPENDED", "<b>x</b>", "A" * 32, "ENABLE!"])
def test_an_unknown_status_is_stored_as_unknown_with_the_raw_value_for_operators(raw, caplog):
    template = TemplateFactory(status="ENABLE")
    with caplog.at_level(logging.WARNING, logger="zns_notify"):
        response = deliver_event(Client(), template_status(template.template_id, raw))
    assert response.status_code == 200
    template.refresh_from_db()
    assert template.status == Template.Status.UNKNOWN == "UNKNOWN"
    assert raw in template.sync_note and raw in caplog.text
    assert not template.is_sendable
    assert WebhookEvent.objects.get().outcome == "applied"


def test_the_template_api_keeps_to_its_schema_enum():
    import yaml

    template = TemplateFactory(status="ENABLE")
    deliver_event(Client(), template_status(template.template_id, "SOMETHING_NEW"))
    api = APIClient()
    api.force_authenticate(staff_user("view_template"))
    body = api.get(reverse("zns_notify:api_template_detail", args=[template.template_id])).json()
    schema = yaml.safe_load(api.get(reverse("zns_notify:api_schema")).content)
    assert body["status"] in schema["components"]["schemas"]["TemplateStatusEnum"]["enum"]


def test_the_admin_shows_an_unknown_status():
    template = TemplateFactory(status="UNKNOWN", sync_note="Zalo reported the status 'X'.")
    client = Client()
    client.force_login(staff_user("view_template"))
    page = client.get(reverse("admin:zns_notify_template_change", args=[template.pk]))
    assert page.status_code == 200
