"""docs/other-platforms.md cannot drift: its Saleor payloads go through its relay's mapping
into the request bodies it shows, and those bodies, posted to the real endpoint with a
token, write the messages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import BindingFactory, TemplateFactory
from zns_notify.models import Message

pytestmark = pytest.mark.django_db

PAGE = Path(__file__).resolve().parents[2] / "docs" / "other-platforms.md"
BLOCK = re.compile(
    r'^```(?P<lang>json|python) title="(?P<title>[^"]+)"\n(?P<body>.*?)^```$', re.M | re.S
)
SALEOR_EVENTS = ("ORDER_CREATED", "ORDER_FULLY_PAID", "ORDER_FULFILLED")

SHIPPED_PARAMS = [
    {"name": name, "require": True, "type": "STRING", "max_length": 30, "min_length": 0}
    for name in ("customer_name", "order_code", "tracking_code")
]


def page_blocks() -> dict[str, str]:
    found = {m["title"]: m["body"] for m in BLOCK.finditer(PAGE.read_text(encoding="utf-8"))}
    assert found, f"{PAGE} has no titled code blocks"
    return found


def relay_module() -> dict:
    """The page's relay.py, run as written (it reads its token only when it posts)."""
    namespace: dict = {"__name__": "relay"}
    exec(compile(page_blocks()["relay.py"], "relay.py", "exec"), namespace)  # noqa: S102
    return namespace


def posted_body(saleor_event: str) -> dict:
    return json.loads(page_blocks()[f"POST /zns/api/events/ ({saleor_event})"])


@pytest.fixture
def relay_client(make_user):
    """The page's setup: a staff user holding only "Can add message", and its token."""
    token = Token.objects.create(user=make_user("add_message", name="relay"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def bindings():
    for event in ("order_created", "order_paid"):
        BindingFactory(event=event, template=TemplateFactory())
    BindingFactory(
        event="order_shipped",
        template=TemplateFactory(params=SHIPPED_PARAMS),
        params={
            "customer_name": "{{ customer_name }}",
            "order_code": "{{ order_code }}",
            "tracking_code": "{{ tracking_code }}",
        },
    )


@pytest.mark.parametrize("saleor_event", SALEOR_EVENTS)
def test_the_relay_maps_each_saleor_payload_to_the_body_the_page_shows(saleor_event):
    payload = json.loads(page_blocks()[f"Saleor {saleor_event}"])
    assert relay_module()["zns_event"](saleor_event, payload) == posted_body(saleor_event)


def test_an_event_the_relay_does_not_map_is_left_out():
    assert relay_module()["zns_event"]("ORDER_UPDATED", {"order": {"number": "1"}}) is None


def test_the_pages_bodies_posted_with_a_token_write_the_messages(relay_client, bindings):
    url = reverse("zns_notify:api_events")
    for saleor_event in SALEOR_EVENTS:
        answer = relay_client.post(url, posted_body(saleor_event), format="json")
        assert answer.status_code == 202, answer.content
        [message] = answer.json()["messages"]
        assert message["status"] == "queued"
    messages = {m.event: m for m in Message.objects.all()}
    assert set(messages) == {"order_created", "order_paid", "order_shipped"}
    for message in messages.values():
        assert message.order_ref == "1001" and message.phone == "84912345678"
        assert message.params["customer_name"] == "Nguyễn Thị Lan"
    assert messages["order_created"].params["total_amount"] == "1.250.000 đ"
    assert messages["order_shipped"].params["tracking_code"] == "GHN123456"


def test_retries_are_replays_and_a_changed_body_is_422_as_the_page_says(relay_client, bindings):
    url = reverse("zns_notify:api_events")
    body = posted_body("ORDER_FULFILLED")
    first = relay_client.post(url, body, format="json")
    again = relay_client.post(url, body, format="json")
    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["messages"][0]["id"] == first.json()["messages"][0]["id"]
    second_parcel = {**body, "data": {"tracking_code": "GHN999999"}}
    assert relay_client.post(url, second_parcel, format="json").status_code == 422
    assert Message.objects.count() == 1


def test_without_the_token_the_answer_is_401(bindings):
    answer = APIClient().post(
        reverse("zns_notify:api_events"), posted_body("ORDER_CREATED"), format="json"
    )
    assert answer.status_code == 401 and not Message.objects.exists()
