"""The API answers as its OpenAPI schema says: Schemathesis sends every operation valid and
invalid requests (a bounded, deterministic run) through Django's WSGI handler, with a token
of a user who may do everything, against seeded messages, templates and bindings.

Every answer must be documented (status code, content type, body schema, headers), never a
5xx, and a request the schema forbids must be refused (``negative_data_rejection``)."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import patched_settings
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from tests.factories import BindingFactory, MessageFactory, TemplateFactory
from zns_notify.api.filters import MAX_STATS_DAYS
from zns_notify.api.reporting import body_hash
from zns_notify.api.schema import SCHEMA_SETTINGS
from zns_notify.api.views import IDEMPOTENCY_HEADER
from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsInvalidPhone
from zns_notify.lib import clock
from zns_notify.lib.phones import normalize_phone

#: Examples per operation and generation mode: enough to reach every documented limit, few
#: enough that the whole run stays well under a minute on a busy CI machine.
MAX_EXAMPLES = 25

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
        "phases": {"stateful": {"enabled": False}},
    }
)


@contextlib.contextmanager
def one_connection():
    """Django's handler closes the database connection after each request; the test's
    transaction must stay open (Django's own test client disconnects the same receivers)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(db, make_user, settings):
    # A throttle hit now and then is documented (429), but it would hide what comes after.
    settings.ZNS_NOTIFY = {
        **settings.ZNS_NOTIFY,
        "API_EVENTS_THROTTLE_RATE": "100000/minute",
        "API_OTP_THROTTLE_RATE": "100000/minute",
    }
    template = TemplateFactory(template_id="100001")
    # The one-time codes' template: a request the service accepts sends a real message.
    TemplateFactory(template_id="100099", params=[{"name": "otp", "type": "OTP"}])
    TemplateFactory(template_id="100002", status="PENDING_REVIEW")
    bindings = [
        BindingFactory(event="order_created", template=template),
        BindingFactory(event="order_paid", template=template, is_active=False),
    ]
    messages = [
        MessageFactory(template=template, status=status, order_pk=str(n), order_ref=f"DH{n:06d}")
        for n, status in enumerate(["queued", "failed", "delivered", "sent", "skipped"], start=1)
    ]
    user = make_user(superuser=True, name="conformance")
    return {
        "token": Token.objects.create(user=user).key,
        "id": [m.pk for m in messages] + [b.pk for b in bindings],
        "template_id": ["100001", "100002"],
        "keys": {},  # idempotency key -> the body it was first used with
    }


def load_schema() -> schemathesis.schemas.BaseSchema:
    """The schema as /zns/api/schema/ serves it, loaded at collection: Schemathesis makes
    one test per operation from it (its lazy fixture loader does not run on pytest 9)."""
    with patched_settings(SCHEMA_SETTINGS):
        document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(document, config=CONFIG)
    loaded.app = get_wsgi_application()  # what from_wsgi() sets: requests go to the app
    return loaded


schema = load_schema()


def otp_request_accepted(body: dict) -> bool:
    """Whether the service takes a code request's phone and purpose (the cooldown's 429 is
    a documented answer to a valid request)."""
    if body.get("purpose") not in app_settings.OTP_PURPOSES:
        return False
    try:
        normalize_phone(body.get("phone"))
    except ZnsInvalidPhone:
        return False
    return True


def cross_field_refusal(case, keys: dict[str, str]) -> str | None:
    """The field a valid request must be refused on (400), or with which status, by a rule
    across fields or requests that a schema cannot state; None when it must be accepted."""
    if case.operation.path == "/zns/api/stats/":
        query = case.query or {}
        if {"from", "to"} <= set(query):
            start, end = (dt.date.fromisoformat(query[name]) for name in ("from", "to"))
            if start > end or (end - start).days + 1 > MAX_STATS_DAYS:
                return "from"
        elif "from" in query:  # "to" is today
            end = clock.local_day()
            start = dt.date.fromisoformat(query["from"])
            if start > end or (end - start).days + 1 > MAX_STATS_DAYS:
                return "from"
    if case.operation.path.startswith("/zns/api/otp/") and isinstance(case.body, dict):
        # The refusals (400 with their "code"): a phone or purpose the service does not take
        # (the schema cannot list a shop's purposes nor every mobile number), and any check
        # of a code, since a generated code is never the one sent.
        if case.operation.path.endswith("/verify/") or not otp_request_accepted(case.body):
            return "code"
    if case.operation.path == "/zns/api/events/" and isinstance(case.body, dict):
        header = (case.headers or {}).get(IDEMPOTENCY_HEADER)
        field = case.body.get("idempotency_key")
        if header is not None and field is not None and header != field:
            return IDEMPOTENCY_HEADER
        key = header or field
        if key:
            body = body_hash(case.body)
            if keys.setdefault(key, body) != body:
                return "422"
    return None


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_its_schema_says(case, seeded):
    # Half of the valid requests name a seeded object, so the answers of real rows are
    # checked too, not only 404s.
    for name, known in (("id", seeded["id"]), ("template_id", seeded["template_id"])):
        value = (case.path_parameters or {}).get(name)
        if case.meta.generation.mode.is_positive and value is not None:
            pick = hash(str(value)) % (2 * len(known))
            if pick < len(known):
                case.path_parameters[name] = known[pick]
    headers = {"Authorization": f"Token {seeded['token']}"}
    refusal = (
        cross_field_refusal(case, seeded["keys"]) if case.meta.generation.mode.is_positive else None
    )
    with one_connection():
        if refusal is None:
            case.call_and_validate(headers=headers)
            return
        response = case.call(headers=headers)
    if refusal == "422":
        assert response.status_code == 422, response.text
    else:
        assert response.status_code == 400, response.text
        assert refusal in response.json(), response.text
