"""The OpenAPI schema at /zns/api/schema/: it generates without a warning and validates."""

from __future__ import annotations

from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.management.commands.spectacular import Command as SpectacularCommand
from drf_spectacular.settings import patched_settings
from drf_spectacular.validation import validate_schema

from zns_notify.api.schema import SCHEMA_SETTINGS

pytestmark = pytest.mark.django_db

URL = reverse("zns_notify:api_schema")
PATHS = {
    "/zns/api/messages/",
    "/zns/api/messages/{id}/",
    "/zns/api/messages/{id}/resend/",
    "/zns/api/messages/{id}/cancel/",
    "/zns/api/templates/",
    "/zns/api/templates/{template_id}/",
    "/zns/api/bindings/",
    "/zns/api/bindings/{id}/",
    "/zns/api/events/",
    "/zns/api/stats/",
    "/zns/api/otp/request/",
    "/zns/api/otp/verify/",
}


def generate(urlconf=None) -> dict:
    with patched_settings(SCHEMA_SETTINGS):
        schema = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache, GENERATOR_STATS._warn_cache
    assert not GENERATOR_STATS._error_cache, GENERATOR_STATS._error_cache
    return schema


def test_the_schema_generates_without_warnings_and_validates():
    schema = generate()
    validate_schema(schema)
    assert set(schema["paths"]) == PATHS
    assert schema["info"]["title"] == "zns_notify API"
    events = schema["paths"]["/zns/api/events/"]["post"]
    assert [p["name"] for p in events["parameters"]] == ["Idempotency-Key"]
    assert set(events["responses"]) == {"202", "400", "401", "403", "415", "422", "429"}
    assert {"cookieAuth", "tokenAuth"} <= set(schema["components"]["securitySchemes"])
    message_filters = {
        p["name"] for p in schema["paths"]["/zns/api/messages/"]["get"]["parameters"]
    }
    assert {
        "status",
        "event",
        "template",
        "order_ref",
        "phone",
        "created_from",
        "created_to",
        "cursor",
        "page_size",
    } <= message_filters
    stats = {p["name"] for p in schema["paths"]["/zns/api/stats/"]["get"]["parameters"]}
    assert stats == {"from", "to", "group"}


def test_the_spectacular_command_validates_it_and_fails_on_no_warning():
    out = StringIO()
    call_command(
        SpectacularCommand(),
        "--validate",
        "--fail-on-warn",
        "--custom-settings",
        "zns_notify.api.schema.SCHEMA_SETTINGS",
        stdout=out,
        stderr=StringIO(),
    )
    assert set(yaml.safe_load(out.getvalue())["paths"]) == PATHS


def test_the_hosts_other_drf_views_are_left_out():
    schema = generate(urlconf="tests.api.host_urls")
    assert {path.replace("/notifications/", "/zns/", 1) for path in schema["paths"]} == PATHS


def test_the_schema_is_served_to_api_users(as_user, reader):
    client = as_user(reader)
    response = client.get(URL)
    assert response.status_code == 200
    assert set(yaml.safe_load(response.content)["paths"]) == PATHS
    as_json = client.get(URL, {"format": "json"})
    assert as_json["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert as_json.json()["openapi"].startswith("3.")


def test_the_schema_is_not_public(api):
    assert api.get(URL).status_code == 401


def test_a_one_time_codes_refusal_has_no_count_of_tries():
    # A count of tries left would tell a phone with a live code from one without.
    refusal = generate()["components"]["schemas"]["OtpRefusal"]
    assert set(refusal["properties"]) == {"code", "message", "retry_after"}
    assert refusal["additionalProperties"] is False
