"""The limits the schema states are the ones the server enforces (issue 15): each value the
schema forbids is a 400 naming the parameter or field, with a clear message, nothing
written; the schema documents every error answer with its body."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import patched_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import BindingFactory, MessageFactory
from zns_notify.api.filters import (
    DATE_PATTERN,
    FIRST_YEAR,
    LAST_YEAR,
    MAX_PAGE_SIZE,
    WRITTEN_MOBILE,
)
from zns_notify.api.schema import SCHEMA_SETTINGS
from zns_notify.events.notify import EVENT_NAME
from zns_notify.lib.phones import normalize_phone
from zns_notify.models import Message

pytestmark = pytest.mark.django_db

MESSAGES = reverse("zns_notify:api_message_list")
BINDINGS = reverse("zns_notify:api_binding_list")
STATS = reverse("zns_notify:api_stats")
EVENTS = reverse("zns_notify:api_events")


def schema() -> dict:
    with patched_settings(SCHEMA_SETTINGS):
        return SchemaGenerator().get_schema(request=None, public=True)


def refused(response, name: str) -> str:
    assert response.status_code == 400, response.content
    body = response.json()
    assert name in body, body
    return " ".join(body[name])


# -- Query parameters ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "0", "-1", str(MAX_PAGE_SIZE + 1), ""])
@pytest.mark.parametrize("url", [MESSAGES, BINDINGS, reverse("zns_notify:api_template_list")])
def test_a_page_size_outside_1_to_500_is_refused_not_replaced(as_user, full_reader, url, value):
    refused(as_user(full_reader).get(url, {"page_size": value}), "page_size")


@pytest.mark.parametrize("url", [MESSAGES, BINDINGS])
def test_an_event_filter_must_be_an_event_name(as_user, full_reader, url):
    MessageFactory(event="order_paid")
    client = as_user(full_reader)
    assert "lowercase" in refused(client.get(url, {"event": "Order Paid"}), "event")
    assert client.get(url, {"event": "order_paid"}).status_code == 200


@pytest.mark.parametrize("name", ["event", "template", "order_ref", "status", "created_from"])
def test_an_empty_filter_is_refused_not_ignored(as_user, full_reader, name):
    MessageFactory()
    text = refused(as_user(full_reader).get(MESSAGES, {name: ""}), name)
    assert "blank" in text


def test_a_phone_filter_that_is_no_written_mobile_number_is_refused(as_user, full_reader):
    client = as_user(full_reader)
    # phonenumbers reads "(0)" as a national prefix, but the schema's pattern has none.
    assert "mobile" in refused(client.get(MESSAGES, {"phone": "+84 (0) 912345678"}), "phone")
    too_long = "0 9 1 2 3 4 5 6 7 8" + " " * 30
    refused(client.get(MESSAGES, {"phone": too_long}), "phone")


@settings(max_examples=60, derandomize=True, deadline=None)
@given(typed=st.from_regex(WRITTEN_MOBILE, fullmatch=True))
def test_every_number_the_schema_allows_is_a_mobile_number_the_server_takes(typed):
    assert re.fullmatch(r"84\d{9}", normalize_phone(typed))


@pytest.mark.parametrize(
    "value",
    ["20261122", "2026-W47-1", "2026-11-22 09:30z", "2026-11-22T9:30", f"{LAST_YEAR + 1}-01-01"],
)
def test_a_moment_filter_is_a_date_or_an_iso_date_and_time(as_user, full_reader, value):
    refused(as_user(full_reader).get(MESSAGES, {"created_from": value}), "created_from")


@pytest.mark.parametrize(
    "value", ["2026-11-22", "2026-11-22T09:30:00+07:00", "2026-11-22 09:30", "2026-11-22T02:30Z"]
)
def test_the_moments_the_schema_allows_are_accepted(as_user, full_reader, value):
    assert as_user(full_reader).get(MESSAGES, {"created_from": value}).status_code == 200


@pytest.mark.parametrize("value", ["20261122", "2026-11-2", f"{FIRST_YEAR - 1}-12-31"])
def test_a_stats_day_is_written_yyyy_mm_dd_within_the_years(as_user, full_reader, value):
    refused(as_user(full_reader).get(STATS, {"to": value}), "to")


def test_an_empty_stats_group_is_refused(as_user, full_reader):
    refused(as_user(full_reader).get(STATS, {"group": ""}), "group")


def test_the_date_pattern_is_the_year_range():
    assert re.match(DATE_PATTERN, f"{FIRST_YEAR}-01-01")
    assert re.match(DATE_PATTERN, f"{LAST_YEAR}-12-31")
    assert not re.match(DATE_PATTERN, f"{FIRST_YEAR - 1}-12-31")
    assert not re.match(DATE_PATTERN, f"{LAST_YEAR + 1}-01-01")


# -- Paths --------------------------------------------------------------------------------


@pytest.mark.parametrize("segment", ["abc", "-1", "1.5", "99999999999999999999"])
@pytest.mark.parametrize("name", ["api_message_detail", "api_binding_detail"])
def test_an_id_that_is_no_row_is_the_apis_json_404(as_user, full_reader, name, segment):
    BindingFactory()
    url = reverse(f"zns_notify:{name}", args=[1]).replace("/1/", f"/{segment}/")
    response = as_user(full_reader).get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


# -- The event body -----------------------------------------------------------------------


@pytest.mark.parametrize("total", ["1e3", " 12", "12.345", "12345678901234"])
def test_a_total_as_text_is_digits_with_two_decimals_at_most(as_user, make_user, total):
    user = make_user("add_message", "view_message")
    body = {"event": "order_created", "order_ref": "DH1", "total": total}
    response = as_user(user).post(EVENTS, body, format="json")
    refused(response, "total")
    assert not Message.objects.exists()


# -- The schema ---------------------------------------------------------------------------


def test_every_operation_documents_its_errors_with_a_body():
    document = schema()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403"} <= codes, (method, path)
            for code in codes - {"200", "201", "202"}:
                ref = operation["responses"][code]["content"]["application/json"]["schema"]
                name = "ValidationError" if code == "400" else "Error"
                expected = {"$ref": f"#/components/schemas/{name}"}
                if path.startswith("/zns/api/otp/") and code in ("400", "429"):
                    # Or a one-time code's refusal (its code, message, retry_after...).
                    expected = {"anyOf": [expected, {"$ref": "#/components/schemas/OtpRefusal"}]}
                assert ref == expected, (method, path, code)
    assert set(document["paths"]["/zns/api/messages/{id}/resend/"]["post"]["responses"]) == {
        "201",
        "401",
        "403",
        "404",
        "409",
    }


def test_the_schema_states_the_servers_limits():
    document = schema()
    components = document["components"]["schemas"]
    event = components["EventRequest"]
    assert event["additionalProperties"] is False
    assert event["properties"]["event"]["pattern"] == EVENT_NAME.pattern
    [enum] = event["properties"]["event"]["allOf"]
    assert "order_paid" in components[enum["$ref"].rsplit("/", 1)[1]]["enum"]
    assert event["properties"]["data"]["maxProperties"] == 50
    messages = {
        p["name"]: p["schema"] for p in document["paths"]["/zns/api/messages/"]["get"]["parameters"]
    }
    assert messages["page_size"] == {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}
    assert messages["phone"]["pattern"] == WRITTEN_MOBILE.pattern
    assert messages["event"]["pattern"] == EVENT_NAME.pattern
    stats = {p["name"]: p for p in document["paths"]["/zns/api/stats/"]["get"]["parameters"]}
    assert stats["from"]["schema"]["pattern"] == DATE_PATTERN
    assert "365 days" in stats["from"]["description"]
