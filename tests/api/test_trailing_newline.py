"""A value the schema's pattern forbids is refused by the server too. JSON Schema patterns
are ECMA regexes, where ``$`` ends the text; in Python ``$`` also matches just before a
trailing newline, so ``2026-11-22\\n`` once passed the server's check of ``^…$``."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.api.test_schema_limits import schema
from tests.factories import MessageFactory
from zns_notify.checks import check_settings
from zns_notify.events.notify import notify
from zns_notify.models import Message

pytestmark = pytest.mark.django_db

MESSAGES = reverse("zns_notify:api_message_list")
BINDINGS = reverse("zns_notify:api_binding_list")
STATS = reverse("zns_notify:api_stats")
EVENTS = reverse("zns_notify:api_events")


def refused(response, name: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert name in body, body
    assert body[name] and all(isinstance(text, str) and text for text in body[name])


@pytest.mark.parametrize(
    ("url", "name", "value"),
    [
        (STATS, "from", "2026-11-22\n"),
        (STATS, "to", "2026-11-22\n"),
        (MESSAGES, "created_from", "2026-11-22\n"),
        (MESSAGES, "created_to", "2026-11-22T09:30:00+07:00\n"),
        (MESSAGES, "event", "order_paid\n"),
        (BINDINGS, "event", "order_paid\n"),
        (MESSAGES, "phone", "0912345678\n"),
    ],
)
def test_a_query_value_with_a_trailing_newline_is_refused(as_user, full_reader, url, name, value):
    MessageFactory(event="order_paid")
    refused(as_user(full_reader).get(url, {name: value}), name)


def test_the_same_query_values_without_the_newline_are_taken(as_user, full_reader):
    client = as_user(full_reader)
    assert client.get(STATS, {"from": "2026-11-22", "to": "2026-11-22"}).status_code == 200
    query = {"event": "order_paid", "phone": "0912345678", "created_from": "2026-11-22"}
    assert client.get(MESSAGES, query).status_code == 200


@pytest.mark.parametrize(
    ("name", "value"),
    [("total", "100\n"), ("event", "order_paid\n"), ("idempotency_key", "key-1\n")],
)
def test_an_event_field_with_a_trailing_newline_is_refused(as_user, reporter, name, value):
    body = {"event": "order_created", "order_ref": "DH1", "phone": "0912345678", name: value}
    refused(as_user(reporter).post(EVENTS, body, format="json"), name)
    assert not Message.objects.exists()


def test_an_order_data_name_with_a_trailing_newline_is_refused(as_user, reporter):
    body = {"event": "order_created", "order_ref": "DH1", "data": {"note\n": "x"}}
    refused(as_user(reporter).post(EVENTS, body, format="json"), "data")
    assert not Message.objects.exists()


def test_an_idempotency_key_header_with_a_trailing_newline_is_refused(as_user, reporter):
    body = {"event": "order_created", "order_ref": "DH1"}
    response = as_user(reporter).post(EVENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="key-1\n")
    assert response.status_code == 400, response.content
    assert not Message.objects.exists()


def test_notify_refuses_an_event_name_with_a_trailing_newline():
    with pytest.raises(ValueError, match="Invalid event name"):
        notify("order_paid\n", Message(pk=1))


def test_the_check_flags_an_extra_event_name_with_a_trailing_newline(settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "EXTRA_EVENTS": {"gift\n": "A gift"}}
    assert "zns_notify.E005" in {problem.id for problem in check_settings()}


def _patterns(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _patterns(item)


def test_the_schema_patterns_stay_ecma_regexes():
    patterns = list(_patterns(schema()))
    assert len(patterns) >= 5
    for pattern in patterns:
        # \Z and \A are Python's; an ECMA regex has ^ and $ for the ends of the text.
        assert "\\Z" not in pattern and "\\A" not in pattern, pattern


@pytest.mark.parametrize("value", [" ", "\u0085", "\u3000\u00a0", " \u2028 "])
def test_a_required_text_of_only_spaces_is_refused_and_the_schema_says_so(as_user, reporter, value):
    # DRF trims what Python calls spaces, U+0085 among them, which ECMA's \s is not: the
    # schema's pattern for a required text names them, so it refuses what the server does.
    pattern = schema()["components"]["schemas"]["EventRequest"]["properties"]["order_ref"]
    assert not re.fullmatch(pattern["pattern"].strip("^$"), value)
    body = {"event": "order_created", "order_ref": value, "phone": "0912345678"}
    refused(as_user(reporter).post(EVENTS, body, content_type="application/json"), "order_ref")


@pytest.mark.parametrize("value", ["DH1", " DH1 ", "DH1\u0085", "\ufeffDH1"])
def test_a_required_text_with_more_than_spaces_fits_the_schema(value):
    pattern = schema()["components"]["schemas"]["EventRequest"]["properties"]["order_ref"]
    assert re.fullmatch(pattern["pattern"].strip("^$"), value)
