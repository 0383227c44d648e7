"""Arbitrary bodies and headers at the webhook: never a 500, never a changed row when
rejected, never a status moved backwards when accepted."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import MessageFactory, TemplateFactory
from tests.receipts.test_webhooks import APP_ID, URL, sign
from zns_notify.models import Message, MessageEvent, MessageFeedback, Template, WebhookEvent

pytestmark = pytest.mark.django_db
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
EVENTS = [
    "user_received_message",
    "change_template_status",
    "change_template_quality",
    "change_oa_daily_quota",
    "user_feedback",
    "user_seen_message",
    "",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(alphabet=st.characters(exclude_categories=()), max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
signatures = st.one_of(
    st.none(),
    st.text(max_size=80),
    st.from_regex(r"(mac=)?[0-9a-f]{64}", fullmatch=True),
    st.binary(max_size=70).map(lambda b: b.decode("latin-1")),
)
bodies = st.one_of(
    st.binary(max_size=400),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {
            "app_id": st.sampled_from([APP_ID, "1", ""]),
            "event_name": st.sampled_from(EVENTS),
            "timestamp": st.just(str(int(time.time() * 1000))),
        },
        optional={
            "message": json_values,
            "template_id": json_values,
            "status": json_values,
            "quota": json_values,
            "oaId": json_values,
        },
    ).map(lambda v: json.dumps(v).encode()),
)


@pytest.fixture
def rows(db):
    template = TemplateFactory(template_id="100001", status="ENABLE")
    MessageFactory(status="sent", msg_id="m1", template=template)
    MessageFactory(status="delivered", msg_id="m2", template=template)
    MessageFactory(status="failed", msg_id="m3", template=template)


def snapshot() -> tuple:
    return (
        list(Message.objects.order_by("pk").values_list("status", "delivered_at", "msg_id")),
        list(Template.objects.values_list("status", "quality", "reason")),
        MessageEvent.objects.count(),
        WebhookEvent.objects.count(),
        MessageFeedback.objects.count(),
    )


@FUZZ
@given(
    body=bodies,
    signature=signatures,
    method=st.sampled_from(["POST", "POST", "PUT", "GET"]),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "", "application/x-www-form-urlencoded"]
    ),
)
def test_unsigned_or_mis_signed_requests_never_500_and_change_nothing(
    rows, body, signature, method, content_type
):
    client = Client(enforce_csrf_checks=True)
    before = snapshot()
    headers = {} if signature is None else {"HTTP_X_ZEVENT_SIGNATURE": signature}
    response = client.generic(method, URL, data=body, content_type=content_type, **headers)
    assert 400 <= response.status_code < 500
    assert snapshot() == before


RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3}


@FUZZ
@given(
    payload=st.fixed_dictionaries(
        {
            "app_id": st.just(APP_ID),
            "event_name": st.sampled_from(EVENTS),
            "timestamp": st.just(str(int(time.time() * 1000))),
        },
        optional={
            "message": st.one_of(
                json_values,
                st.fixed_dictionaries(
                    {
                        "msg_id": st.sampled_from(["m1", "m2", "m3", "zz", 5, None]),
                        "delivery_time": json_values,
                        "tracking_id": json_values,
                        "rate": json_values,
                        "feedbacks": json_values,
                        "submit_time": json_values,
                    }
                ),
            ),
            "template_id": st.one_of(st.just("100001"), json_values),
            "status": st.one_of(
                json_values,
                st.fixed_dictionaries(
                    {"new_status": st.sampled_from(["ENABLE", "DISABLE", "", "x" * 40])}
                ),
            ),
            "quality": json_values,
            "quota": json_values,
            "oaId": json_values,
            "reason": json_values,
        },
    )
)
def test_validly_signed_odd_events_never_500_nor_move_a_message_back(rows, payload):
    client = Client(enforce_csrf_checks=True)
    before = dict(Message.objects.values_list("msg_id", "status"))
    body = json.dumps(payload).encode()
    response = client.post(
        URL, data=body, content_type="application/json", HTTP_X_ZEVENT_SIGNATURE=sign(body)
    )
    assert response.status_code == 200
    after = dict(Message.objects.values_list("msg_id", "status"))
    for msg_id, status in before.items():
        assert after[msg_id] == status or RANK.get(after[msg_id], -1) > RANK.get(status, 9)
