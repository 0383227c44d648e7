"""REST API hardening: hostile input is a 4xx, never a 500, and a reporter reads no more
than it may. Each case was found in review."""

from __future__ import annotations

import base64
import json

import pytest
from django.urls import reverse

from tests.factories import BindingFactory, MessageFactory

pytestmark = pytest.mark.django_db

MESSAGES = reverse("zns_notify:api_message_list")
BINDINGS = reverse("zns_notify:api_binding_list")
STATS = reverse("zns_notify:api_stats")
EVENTS = reverse("zns_notify:api_events")


def forged_cursor(position: str) -> str:
    return base64.b64encode(f"p={position}".encode()).decode()


# -- 500s on bad query parameters ----------------------------------------------------------


@pytest.mark.parametrize("url", [MESSAGES, BINDINGS])
def test_a_forged_cursor_position_is_not_a_500(as_user, reader, url):
    MessageFactory()
    BindingFactory()
    response = as_user(reader).get(url, {"cursor": forged_cursor("abc")})
    assert response.status_code in (400, 404)


@pytest.mark.parametrize(
    "params",
    [
        {"created_to": "9999-12-31"},
        {"created_from": "0001-01-01"},
    ],
)
def test_extreme_dates_in_message_filters_are_not_a_500(as_user, reader, params):
    MessageFactory()
    response = as_user(reader).get(MESSAGES, params)
    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    "params",
    [
        {"to": "9999-12-31"},
        {"from": "0001-01-01", "to": "0001-01-02"},
    ],
)
def test_extreme_dates_in_stats_are_not_a_500(as_user, reader, params):
    response = as_user(reader).get(STATS, params)
    assert response.status_code in (200, 400)


# -- 500s on hostile JSON ------------------------------------------------------------------


def test_deeply_nested_json_is_a_400(as_user, reporter):
    BindingFactory(event="order_created")
    body = (
        '{"event": "order_created", "order_ref": "X1", "data": '
        + "[" * 100_000
        + "]" * 100_000
        + "}"
    )
    response = as_user(reporter).post(EVENTS, body, content_type="application/json")
    assert response.status_code == 400


def test_a_lone_surrogate_in_data_is_a_400_not_a_500(as_user, reporter):
    """DRF's CharField refuses surrogates in the top-level fields; data values are not
    checked, and body_hash() then fails to encode them (zns_notify/api/reporting.py)."""
    BindingFactory(event="order_created")
    body = {
        "event": "order_created",
        "order_ref": "X1",
        "phone": "0912345678",
        "data": {"carrier": "\ud800"},
    }
    raw = json.dumps(body)  # ensure_ascii: the surrogate travels as \\ud800
    response = as_user(reporter).post(
        EVENTS, raw, content_type="application/json", headers={"Idempotency-Key": "k-1"}
    )
    assert response.status_code == 400


# -- Authorization -------------------------------------------------------------------------


def test_a_reporter_cannot_read_another_clients_message_through_events(as_user, make_user):
    """add_message without view_message: posting someone else's order_ref/event answers
    with that order's message (customer name, total, msg_id, status, errors)."""
    BindingFactory(event="order_created")
    alice = make_user("add_message", name="alice")
    mallory = make_user("add_message", name="mallory")
    first = as_user(alice).post(
        EVENTS,
        {
            "event": "order_created",
            "order_ref": "WEB-7",
            "phone": "0912345678",
            "customer_name": "Nguyễn Thị Lan",
            "total": 990000,
        },
        format="json",
    )
    assert first.status_code == 202
    probe = as_user(mallory).post(
        EVENTS,
        {
            "event": "order_created",
            "order_ref": "WEB-7",
            "phone": "0987654321",
        },
        format="json",
    )
    assert probe.status_code in (202, 403, 409)
    shown = json.dumps(probe.json(), ensure_ascii=False) if probe.status_code == 202 else ""
    assert "Nguyễn Thị Lan" not in shown
    assert "990" not in shown
