"""POST /zns/api/events/: the notify() pipeline for orders reported by non-Django code,
idempotency, and every way a request is refused."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError
from django.urls import reverse
from django_q.models import OrmQ

from tests.factories import BindingFactory
from zns_notify.models import EventReport, Message

pytestmark = pytest.mark.django_db

URL = reverse("zns_notify:api_events")

ORDER = {
    "event": "order_created",
    "order_ref": "WEB-1001",
    "phone": "0912 345 678",
    "customer_name": "Nguyễn Thị Lan",
    "total": 1250000,
}


@pytest.fixture
def binding(db):
    return BindingFactory(event="order_created")


@pytest.fixture
def poster(as_user, reporter):
    client = as_user(reporter)

    def post(body=None, key: str | None = None, **extra):
        headers = {"Idempotency-Key": key} if key is not None else {}
        return client.post(
            URL, body if body is not None else ORDER, format="json", headers=headers, **extra
        )

    return post


def nothing_written() -> bool:
    return not Message.objects.exists() and not EventReport.objects.exists()


def test_an_event_goes_through_the_notify_pipeline(poster, binding):
    response = poster()
    assert response.status_code == 202, response.content
    message = Message.objects.get()
    assert message.status == Message.Status.QUEUED
    assert message.binding == binding
    assert (message.order_type, message.order_pk, message.order_ref) == (
        "api.order",
        "WEB-1001",
        "WEB-1001",
    )
    assert message.phone == "84912345678"
    assert message.params == {
        "customer_name": "Nguyễn Thị Lan",
        "order_code": "WEB-1001",
        "total_amount": "1.250.000 đ",
    }
    # Queued in the same transaction, exactly as notify() queues a Django order's messages.
    assert [key for task in OrmQ.objects.all() for key in task.task["args"][0]] == [
        message.idempotency_key
    ]
    body = response.json()
    assert body["event"] == "order_created" and body["order_ref"] == "WEB-1001"
    assert body["idempotency_key"] is None
    [item] = body["messages"]
    assert item["id"] == message.pk and item["status"] == "queued"
    assert item["phone"] == "********678"  # the reporter may not see full numbers
    assert "Idempotent-Replayed" not in response


def test_data_fields_are_order_attributes_and_variables(poster):
    BindingFactory(
        event="order_paid",
        template__params=[
            {"name": n, "require": True, "type": "STRING", "max_length": 30}
            for n in ("customer_name", "order_code", "amount", "paid_at", "payment_method")
        ],
        params={
            "customer_name": "{{ order.customer_name }}",
            "order_code": "{{ order.code }}",
            "amount": "{{ order.total|vnd }}",
            "paid_at": "{{ order.paid_at|zns_datetime }}",
            "payment_method": "{{ payment_method }}",
        },
    )
    response = poster(
        {
            **ORDER,
            "event": "order_paid",
            "total": "99000.50",
            "data": {"paid_at": "2026-11-22T02:30:00Z", "payment_method": "Ví MoMo"},
        }
    )
    assert response.status_code == 202, response.content
    assert Message.objects.get().params == {
        "customer_name": "Nguyễn Thị Lan",
        "order_code": "WEB-1001",
        "amount": "99.000",
        "paid_at": "09:30 22/11/2026",
        "payment_method": "Ví MoMo",
    }


def test_a_missing_data_field_fails_the_message_naming_the_parameter(poster):
    BindingFactory(
        event="order_shipped",
        params={
            "customer_name": "{{ customer_name }}",
            "order_code": "{{ order_code }}",
            "total_amount": "{{ order.carrier }}",
        },
    )
    response = poster({**ORDER, "event": "order_shipped"})
    assert response.status_code == 202
    [item] = response.json()["messages"]
    assert item["status"] == "failed" and "total_amount" in item["error_message"]


def test_an_event_without_bindings_writes_nothing(poster):
    response = poster()
    assert response.status_code == 202
    assert response.json()["messages"] == [] and nothing_written()


def test_development_mode_per_event(poster, binding):
    poster({**ORDER, "development_mode": True})
    assert Message.objects.get().development_mode is True


def test_the_same_order_event_twice_is_one_message_whatever_the_key(poster, binding):
    first = poster(key="a-1").json()["messages"]
    second = poster(key="b-2").json()["messages"]
    third = poster().json()["messages"]
    assert [m["id"] for m in first] == [m["id"] for m in second] == [m["id"] for m in third]
    assert Message.objects.count() == 1


@pytest.mark.parametrize("phone", ["028 3822 1234", "12345", "+1 202 555 0100", "", None])
def test_an_unusable_phone_skips_the_messages_with_the_reason(poster, binding, phone):
    response = poster({**ORDER, "phone": phone})
    assert response.status_code == 202
    [item] = response.json()["messages"]
    assert item["status"] == "skipped" and item["error_message"]
    assert "3822" not in item["error_message"]  # reasons mask the number
    assert Message.objects.get().error_category == "recipient"


def test_a_null_customer_name_is_an_empty_one(poster):
    BindingFactory(
        event="order_created",
        params={
            "customer_name": "{{ customer_name|default:'Quý khách' }}",
            "order_code": "{{ order_code }}",
            "total_amount": "{{ order.total|vnd }}",
        },
    )
    response = poster({**ORDER, "customer_name": None})
    assert response.status_code == 202
    assert {m["params"]["customer_name"] for m in response.json()["messages"]} == {"Quý khách"}


def test_errors_speak_vietnamese_when_asked(poster, binding):
    response = poster({**ORDER, "colour": "red"}, HTTP_ACCEPT_LANGUAGE="vi")
    assert response.json() == {"colour": ["Trường không xác định."]}


def test_without_a_phone_field_the_messages_are_skipped(poster, binding):
    body = {k: v for k, v in ORDER.items() if k != "phone"}
    [item] = poster(body).json()["messages"]
    assert item["status"] == "skipped"


def test_one_transaction_a_failure_leaves_nothing(poster, binding, monkeypatch):
    def broken(keys, *, cursor):
        raise DatabaseError("queue table is gone")

    monkeypatch.setattr("zns_notify.events.outbox.enqueue", broken)
    with pytest.raises(DatabaseError):
        poster(key="k-1")
    assert nothing_written()


# -- idempotency ---------------------------------------------------------------------------


def test_same_key_same_body_answers_the_same_and_writes_nothing(poster, binding):
    first = poster(key="order-1001-created")
    Message.objects.update(status=Message.Status.SENT)  # the worker got to it meanwhile
    again = poster(key="order-1001-created")
    assert again.status_code == first.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert [m["id"] for m in again.json()["messages"]] == [
        m["id"] for m in first.json()["messages"]
    ]
    assert again.json()["messages"][0]["status"] == "sent"  # the messages as they are now
    assert again.json()["idempotency_key"] == "order-1001-created"
    assert Message.objects.count() == 1 and EventReport.objects.count() == 1
    assert OrmQ.objects.count() == 1


def test_the_key_may_come_in_the_body(poster, binding):
    first = poster({**ORDER, "idempotency_key": "k-7"})
    again = poster(key="k-7")  # the same request, the key moved to the header
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["messages"] == first.json()["messages"]


def test_key_order_of_the_body_does_not_matter(poster, binding):
    poster(key="k-8")
    again = poster(dict(reversed(list(ORDER.items()))), key="k-8")
    assert again["Idempotent-Replayed"] == "true"


def test_same_key_other_body_is_a_422(poster, binding):
    poster(key="k-9")
    response = poster({**ORDER, "total": 1}, key="k-9")
    assert response.status_code == 422
    assert response.json() == {
        "detail": "This idempotency key was used before with a different request body."
    }
    assert Message.objects.count() == 1 and EventReport.objects.count() == 1


def test_header_and_body_keys_must_agree(poster, binding):
    response = poster({**ORDER, "idempotency_key": "one"}, key="two")
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert nothing_written()


def test_keys_belong_to_their_user(poster, binding, as_user, make_user):
    poster(key="shared")
    other = as_user(make_user("add_message"))
    response = other.post(
        URL, {**ORDER, "total": 5}, format="json", headers={"Idempotency-Key": "shared"}
    )
    assert response.status_code == 202 and "Idempotent-Replayed" not in response
    assert EventReport.objects.count() == 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "ключ"])
def test_a_bad_key_is_a_400(poster, binding, key):
    response = poster({**ORDER, "idempotency_key": key})
    assert response.status_code == 400 and "idempotency_key" in response.json()
    assert nothing_written()


@pytest.mark.parametrize("key", ["has space", "x" * 256])
def test_a_bad_key_header_is_a_400(poster, binding, key):
    response = poster(key=key)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()
    assert nothing_written()


# -- refusals ------------------------------------------------------------------------------


def drop(name: str) -> dict:
    return {k: v for k, v in ORDER.items() if k != name}


REFUSALS = {
    "missing event": (drop("event"), "event", "required"),
    "event not a string": ({**ORDER, "event": 5}, "event", "string"),
    "invalid event name": ({**ORDER, "event": "Order Paid!"}, "event", "lowercase"),
    "unknown event": ({**ORDER, "event": "order_payed"}, "event", "Unknown event"),
    "event too long": ({**ORDER, "event": "e" * 65}, "event", "64"),
    "missing order_ref": (drop("order_ref"), "order_ref", "required"),
    "blank order_ref": ({**ORDER, "order_ref": "  "}, "order_ref", "blank"),
    "order_ref too long": ({**ORDER, "order_ref": "R" * 65}, "order_ref", "64"),
    "order_ref with a newline": ({**ORDER, "order_ref": "A\nB"}, "order_ref", "control"),
    "phone as a number": ({**ORDER, "phone": 912345678}, "phone", "string"),
    "phone too long": ({**ORDER, "phone": "0" * 33}, "phone", "32"),
    "customer_name too long": ({**ORDER, "customer_name": "n" * 201}, "customer_name", "200"),
    "customer_name as a list": ({**ORDER, "customer_name": ["Lan"]}, "customer_name", "string"),
    "total not a number": ({**ORDER, "total": "1.2tr"}, "total", "number"),
    "total a boolean": ({**ORDER, "total": True}, "total", "number"),
    "total negative": ({**ORDER, "total": -5}, "total", "greater than or equal"),
    "total too large": ({**ORDER, "total": 10**16}, "total", "digits"),
    "data a list": ({**ORDER, "data": ["a"]}, "data", "JSON object"),
    "data nested": ({**ORDER, "data": {"items": {"a": 1}}}, "data", "values are"),
    "data bad name": ({**ORDER, "data": {"Carrier Name": "GHN"}}, "data", "names use"),
    "data reserved name": ({**ORDER, "data": {"order": "x"}}, "data", "reserved"),
    "data text too long": ({**ORDER, "data": {"note": "n" * 501}}, "data", "500"),
    "data too many fields": ({**ORDER, "data": {f"f{i}": i for i in range(51)}}, "data", "50"),
    "development_mode not a boolean": (
        {**ORDER, "development_mode": "maybe"},
        "development_mode",
        "boolean",
    ),
    "unknown field": ({**ORDER, "carrier": "GHN"}, "carrier", "Unknown field"),
}


@pytest.mark.parametrize("body,field,words", REFUSALS.values(), ids=REFUSALS.keys())
def test_every_bad_field_is_a_400_naming_it_and_nothing_is_written(
    poster, binding, body, field, words
):
    response = poster(body, key="k-400")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert words in json.dumps(errors[field]), errors
    assert nothing_written()


def test_all_problems_are_reported_at_once(poster, binding):
    response = poster({"event": "nope", "phone": 1, "extra": 1})
    assert set(response.json()) == {"event", "order_ref", "phone", "extra"}


def test_malformed_json_is_a_400(as_user, reporter, binding):
    response = as_user(reporter).post(
        URL, '{"event": "order_created",', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    assert nothing_written()


def test_a_body_that_is_not_an_object_is_a_400(as_user, reporter, binding):
    response = as_user(reporter).post(URL, "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_form_data_is_a_415(as_user, reporter, binding):
    response = as_user(reporter).post(URL, {"event": "order_created"})  # multipart
    assert response.status_code == 415


def test_get_is_a_405(as_user, reporter):
    assert as_user(reporter).get(URL).status_code == 405


# -- access --------------------------------------------------------------------------------


def test_anonymous_is_401(api, binding):
    assert api.post(URL, ORDER, format="json").status_code == 401
    assert nothing_written()


def test_staff_without_add_message_is_403(as_user, reader, binding):
    assert as_user(reader).post(URL, ORDER, format="json").status_code == 403


def test_non_staff_is_403(as_user, make_user, binding):
    user = make_user("add_message", staff=False)
    assert as_user(user).post(URL, ORDER, format="json").status_code == 403


def test_a_session_needs_the_csrf_token(reporter, binding):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(reporter)
    response = client.post(URL, ORDER, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_a_token_needs_no_csrf_token(api, reporter, binding):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=reporter)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.post(URL, ORDER, format="json").status_code == 202


def test_the_full_phone_is_shown_to_those_who_may_see_it(as_user, make_user, binding):
    user = make_user("add_message", "view_message", "view_full_phone")
    [item] = as_user(user).post(URL, ORDER, format="json").json()["messages"]
    assert item["phone"] == "84912345678"


def test_a_key_committed_by_a_concurrent_request_is_replayed(poster, binding, monkeypatch):
    """The race window: the key is not there when looked up, but there when inserted."""
    from zns_notify.api import reporting

    poster(key="raced")
    real, calls = reporting._earlier, []

    def late(client, key):
        calls.append(key)
        return None if len(calls) == 1 else real(client, key)

    monkeypatch.setattr(reporting, "_earlier", late)
    again = poster(key="raced")
    assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert len(calls) == 2
    assert Message.objects.count() == 1 and EventReport.objects.count() == 1
