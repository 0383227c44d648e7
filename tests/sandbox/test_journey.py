"""ZNS Journey over HTTP: /journey/get-token, /journey/check-token, the journey_token header
on the sends, billing, the journey webhooks, and /_sandbox/journeys."""

from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from zns_notify.sandbox.defaults import DEMO_APP_ID, DEMO_OA_ID

from .conftest import ADMIN_PHONE, PHONE, sample
from .test_webhooks import expected_signature

DAY_MS = 24 * 3600 * 1000
OTHER_PHONE = "84933334444"
SHIPPED = "100003"  # declared for the logistics types by default
NOT_DECLARED = "100001"


def get_token(zalo, token=None, **body):
    return zalo.post("/journey/get-token", json={"phone": PHONE, **body}, token=token)


def check_token(zalo, journey_token):
    headers = {"access_token": zalo.token}
    if journey_token is not None:
        headers["journey_token"] = journey_token
    response = zalo.http.get(zalo.url + "/journey/check-token", headers=headers, timeout=5)
    assert response.status_code == 200
    return response.json()


def send_under(zalo, journey_token, *, path="/message/template", template_id=SHIPPED, **body):
    payload = {
        "phone": PHONE,
        "template_id": template_id,
        "template_data": sample(template_id),
        **body,
    }
    payload = {k: v for k, v in payload.items() if v is not ...}
    response = zalo.http.post(
        zalo.url + path,
        json=payload,
        headers={"access_token": zalo.token, "journey_token": journey_token},
        timeout=5,
    )
    assert response.status_code == 200
    return response.json()


def issued(zalo, **body):
    answer = get_token(zalo, **body)
    assert answer["error"] == 0, answer
    return answer["data"]


def expire(zalo, journey_id):
    return zalo.http.post(f"{zalo.url}/_sandbox/journeys/{journey_id}/expire", timeout=5)


def journey_row(zalo, journey_id):
    [row] = [j for j in zalo.inspect("journeys")["journeys"] if j["journey_id"] == journey_id]
    return row


# -- POST /journey/get-token -----------------------------------------------------------------
def test_get_token_issues_an_opaque_token_and_a_numeric_journey_id(zalo):
    answer = get_token(zalo, token_type="token_logistics_7")

    assert answer["error"] == 0 and answer["message"] == "Success"
    assert set(answer["data"]) == {"token", "journey_id"}
    assert answer["data"]["journey_id"].isdigit()
    assert len(answer["data"]["token"]) >= 32
    second = issued(zalo, token_type="token_logistics_7")
    assert second["token"] != answer["data"]["token"]  # every request is a new journey
    assert second["journey_id"] != answer["data"]["journey_id"]


@pytest.mark.parametrize(
    ("body", "token_type", "days"),
    [
        ({"token_type": "token_logistics_7"}, "token_logistics_7", 7),
        ({"token_type": "token_logistics_30"}, "token_logistics_30", 30),
        ({"tokenType": "token_logistics_30"}, "token_logistics_30", 30),
        ({}, "token_logistics_7", 7),
    ],
)
def test_token_type_and_lifetime(zalo, body, token_type, days):
    data = issued(zalo, **body)
    checked = check_token(zalo, data["token"])["data"]
    assert checked["tokenType"] == token_type
    assert int(checked["expiredAt"]) - int(checked["createdAt"]) == days * DAY_MS


def test_get_token_accepts_the_phone_forms_a_send_accepts(zalo):
    issued(zalo, phone="0912345678")
    assert zalo.inspect("journeys")["journeys"][0]["phone"] == PHONE


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"phone": "0212345678"}, -108),
        ({"phone": None}, -108),
        ({"phone": "84999000118"}, -118),
        ({"token_type": "token_gold_7"}, -149),
        ({"token_type": 7}, -149),
        ({"token_type": ["token_logistics_7"]}, -149),
        ({"token_type": {"name": "token_logistics_7"}}, -149),
        ({"tokenType": ["token_logistics_30"]}, -149),
        ({"token_type": True}, -149),
        ({"phone": 84912345678}, -108),
        ({"phone": ["84912345678"]}, -108),
    ],
)
def test_get_token_refusals(zalo, body, code):
    answer = get_token(zalo, **body)
    assert answer["error"] == code and answer["data"] is None
    assert zalo.inspect("journeys")["count"] == 0


def test_get_token_needs_a_valid_access_token(zalo):
    assert get_token(zalo, token="not-a-token")["error"] == -124


def test_get_token_with_an_empty_body_is_minus_121(zalo):
    response = zalo.http.post(
        zalo.url + "/journey/get-token", headers={"access_token": zalo.token}, timeout=5
    )
    assert response.json()["error"] == -121


def test_forced_get_token_error(zalo):
    assert zalo.knob("faults", {"get_token_error_code": -100}).status_code == 200
    assert get_token(zalo)["error"] == -100
    assert zalo.knob("faults", {"get_token_error_code": None}).status_code == 200
    assert get_token(zalo)["error"] == 0


def test_get_token_error_code_must_be_a_negative_code(zalo):
    response = zalo.knob("faults", {"get_token_error_code": 5})
    assert response.status_code == 400 and "get_token_error_code" in response.json()["message"]


# -- GET /journey/check-token ----------------------------------------------------------------
def test_check_token_answers_the_journey(zalo):
    data = issued(zalo)
    answer = check_token(zalo, data["token"])
    assert answer["error"] == 0
    assert answer["data"]["journey_id"] == data["journey_id"]
    assert answer["data"]["createdAt"].isdigit() and answer["data"]["expiredAt"].isdigit()


@pytest.mark.parametrize("journey_token", ["no-such-token", "", None])
def test_check_token_of_an_unknown_token_is_minus_148(zalo, journey_token):
    assert check_token(zalo, journey_token)["error"] == -148


def test_check_token_needs_a_valid_access_token(zalo):
    data = issued(zalo)
    response = zalo.http.get(
        zalo.url + "/journey/check-token",
        headers={"access_token": "nope", "journey_token": data["token"]},
        timeout=5,
    )
    assert response.json()["error"] == -124


def test_expired_token_is_minus_150_on_check_and_send(zalo):
    data = issued(zalo)
    assert expire(zalo, data["journey_id"]).status_code == 200

    assert check_token(zalo, data["token"])["error"] == -150
    assert send_under(zalo, data["token"])["error"] == -150
    assert journey_row(zalo, data["journey_id"])["expired"] is True


# -- sends under a token ---------------------------------------------------------------------
def test_sends_under_a_token_count_to_its_journey_and_bill_it_once(zalo):
    data = issued(zalo)
    first = send_under(zalo, data["token"], tracking_id="order-1-shipped")
    second = send_under(zalo, data["token"], template_id="100004", tracking_id="order-1-done")

    assert first["error"] == 0 and second["error"] == 0
    row = journey_row(zalo, data["journey_id"])
    assert row["billed"] is True and row["billed_ms"] == int(first["data"]["sent_time"])
    assert row["messages"] == 2
    assert row["tracking_ids"] == ["order-1-shipped", "order-1-done"]
    messages = zalo.inspect("messages")["messages"]
    assert [m["journey_id"] for m in messages] == [data["journey_id"]] * 2


def test_a_token_is_not_billed_before_a_send(zalo):
    data = issued(zalo)
    row = journey_row(zalo, data["journey_id"])
    assert row["billed"] is False and row["billed_ms"] is None and row["messages"] == 0


def test_sends_without_the_header_are_not_journey_sends(zalo):
    issued(zalo)
    assert zalo.send(tracking_id="plain")["error"] == 0
    assert zalo.inspect("messages")["messages"][0]["journey_id"] is None
    assert zalo.inspect("journeys")["journeys"][0]["messages"] == 0


@pytest.mark.parametrize("journey_token", ["no-such-token", ""])
def test_send_with_an_unknown_token_is_minus_148(zalo, journey_token):
    assert send_under(zalo, journey_token)["error"] == -148
    assert zalo.inspect("messages")["count"] == 0


def test_send_to_another_phone_than_the_tokens_is_minus_149(zalo):
    data = issued(zalo)
    assert send_under(zalo, data["token"], phone=OTHER_PHONE)["error"] == -149
    assert journey_row(zalo, data["journey_id"])["messages"] == 0


def test_hashphone_send_under_the_token_of_that_phone(zalo):
    data = issued(zalo)
    digest = hashlib.sha256(PHONE.encode()).hexdigest()
    other = hashlib.sha256(OTHER_PHONE.encode()).hexdigest()
    path = "/message/template/hashphone"

    assert send_under(zalo, data["token"], path=path, phone=..., hash_phone=other)["error"] == -149
    assert send_under(zalo, data["token"], path=path, phone=..., hash_phone=digest)["error"] == 0
    assert journey_row(zalo, data["journey_id"])["billed"] is True


def test_template_not_declared_for_the_token_type_is_minus_1491(zalo):
    data = issued(zalo)
    assert send_under(zalo, data["token"], template_id=NOT_DECLARED)["error"] == -1491
    # The token stays good for the declared templates.
    assert send_under(zalo, data["token"])["error"] == 0


def test_declared_templates_are_a_runtime_knob(zalo):
    data = issued(zalo, token_type="token_logistics_30")
    knob = zalo.knob("config", {"journey_templates": {"token_logistics_30": [NOT_DECLARED]}})
    assert knob.status_code == 200
    assert knob.json()["journey_templates"] == {"token_logistics_30": [NOT_DECLARED]}

    assert send_under(zalo, data["token"], template_id=NOT_DECLARED)["error"] == 0
    assert send_under(zalo, data["token"], template_id=SHIPPED)["error"] == -1491


def test_declared_templates_at_start(make_zalo):
    zalo = make_zalo(journey_templates={"token_logistics_7": [NOT_DECLARED]})
    data = issued(zalo)
    assert send_under(zalo, data["token"], template_id=NOT_DECLARED)["error"] == 0
    assert zalo.inspect("config")["journey_templates"] == {"token_logistics_7": [NOT_DECLARED]}


@pytest.mark.parametrize(
    "value",
    [["100003"], {"token_gold_7": ["100003"]}, {"token_logistics_7": "100003"}, {"x": [1]}],
)
def test_bad_journey_templates_knob_is_400(zalo, value):
    response = zalo.knob("config", {"journey_templates": value})
    assert response.status_code == 400 and "journey_templates" in response.json()["message"]


def test_forced_errors_still_hit_sends_under_a_token(zalo):
    data = issued(zalo)
    zalo.knob("faults", {"error_codes_by_template": {SHIPPED: -137}})

    assert send_under(zalo, data["token"])["error"] == -137
    row = journey_row(zalo, data["journey_id"])
    assert row["billed"] is False and row["messages"] == 0


def test_journey_checks_come_before_forced_errors(zalo):
    zalo.knob("faults", {"error_code": -137})
    assert send_under(zalo, "no-such-token")["error"] == -148


def test_a_refused_send_under_a_token_uses_no_quota(zalo):
    data = issued(zalo)
    before = zalo.get("/message/quota")["data"]["remainingQuota"]
    send_under(zalo, data["token"], template_id=NOT_DECLARED)
    assert zalo.get("/message/quota")["data"]["remainingQuota"] == before


def test_concurrent_sends_bill_the_token_once(make_zalo, receiver):
    zalo = make_zalo(webhook_url=receiver.url, receipt_delay=0.0, receipt_ratio=0.0)
    data = issued(zalo)

    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda i: send_under(zalo, data["token"], tracking_id=f"t{i}"), range(24))
        )

    assert all(a["error"] == 0 for a in answers)
    row = journey_row(zalo, data["journey_id"])
    assert row["messages"] == 24 and sorted(row["tracking_ids"]) == sorted(
        f"t{i}" for i in range(24)
    )
    assert len(receiver.wait_for(1)) == 1
    assert not receiver.wait_for(2, timeout=0.3)[1:]  # one acknowledgement, not 24


# -- webhooks --------------------------------------------------------------------------------
def test_first_accepted_send_posts_a_signed_acknowledgement(make_zalo, receiver):
    zalo = make_zalo(webhook_url=receiver.url, receipt_ratio=0.0)
    data = issued(zalo, token_type="token_logistics_30")
    send_under(zalo, data["token"], template_id=NOT_DECLARED)  # refused: no acknowledgement
    send_under(zalo, data["token"])
    send_under(zalo, data["token"], template_id="100004")

    [post] = receiver.wait_for(1)

    assert post["headers"]["X-ZEvent-Signature"] == expected_signature(post["raw"])
    body = json.loads(post["raw"])
    assert list(body) == [
        "app_id", "oa_id", "event_name", "journey_id", "token_type", "phone", "timestamp",
    ]  # fmt: skip
    assert body == {
        "app_id": DEMO_APP_ID,
        "oa_id": DEMO_OA_ID,
        "event_name": "event_journey_acknowledged",
        "journey_id": data["journey_id"],
        "token_type": "token_logistics_30",
        "phone": PHONE,
        "timestamp": body["timestamp"],
    }
    assert body["timestamp"].isdigit()
    assert not receiver.wait_for(2, timeout=0.3)[1:]


def test_acknowledgement_waits_for_the_receipt_delay(make_zalo, receiver):
    zalo = make_zalo(webhook_url=receiver.url, receipt_ratio=0.0, receipt_delay=0.5)
    sent = send_under(zalo, issued(zalo)["token"])
    assert not receiver.wait_for(1, timeout=0.25)
    [post] = receiver.wait_for(1)
    # Stamped and signed for when it is posted, not when the send was accepted.
    assert int(json.loads(post["raw"])["timestamp"]) >= int(sent["data"]["sent_time"]) + 500
    assert post["headers"]["X-ZEvent-Signature"] == expected_signature(post["raw"])


def test_expire_posts_a_signed_time_out_once(make_zalo, receiver):
    zalo = make_zalo(webhook_url=receiver.url)
    data = issued(zalo)

    first = expire(zalo, data["journey_id"])
    again = expire(zalo, data["journey_id"])

    assert first.status_code == 200 and again.status_code == 200
    assert first.json()["webhook"]["event_name"] == "event_journey_time_out"
    assert again.json()["webhook"] is None  # the time-out is posted once
    [post] = receiver.wait_for(1)
    assert post["headers"]["X-ZEvent-Signature"] == expected_signature(post["raw"])
    body = json.loads(post["raw"])
    assert body["event_name"] == "event_journey_time_out"
    assert body["journey_id"] == data["journey_id"]
    assert body["phone"] == PHONE and body["token_type"] == "token_logistics_7"
    assert not receiver.wait_for(2, timeout=0.3)[1:]


def test_a_token_that_runs_out_posts_a_signed_time_out_on_the_next_request(make_zalo, receiver):
    zalo = make_zalo(webhook_url=receiver.url, receipt_ratio=0.0)
    data = issued(zalo)
    state = zalo.server.state
    state.clock = lambda: time.time() + 7 * DAY_MS / 1000  # a week on, by the sandbox's clock

    assert check_token(zalo, data["token"])["error"] == -150
    zalo.inspect("journeys")

    [post] = receiver.wait_for(1)
    assert post["headers"]["X-ZEvent-Signature"] == expected_signature(post["raw"])
    body = json.loads(post["raw"])
    assert body["event_name"] == "event_journey_time_out"
    assert body["journey_id"] == data["journey_id"]
    assert not receiver.wait_for(2, timeout=0.3)[1:]
    assert expire(zalo, data["journey_id"]).json()["webhook"] is None


def test_development_sends_under_a_token_are_neither_counted_nor_billed(make_zalo, receiver):
    zalo = make_zalo(webhook_url=receiver.url, receipt_ratio=0.0, receipt_delay=0.0)
    data = issued(zalo, phone=ADMIN_PHONE)

    answer = send_under(zalo, data["token"], phone=ADMIN_PHONE, mode="development")

    assert answer["error"] == 0
    row = journey_row(zalo, data["journey_id"])
    assert (row["messages"], row["billed"], row["tracking_ids"]) == (0, False, [])
    assert zalo.inspect("messages")["messages"][0]["journey_id"] is None
    assert not receiver.wait_for(1, timeout=0.3)  # no event_journey_acknowledged
    # The token is still checked as for any send under it.
    assert send_under(zalo, "no-such-token", phone=ADMIN_PHONE, mode="development")["error"] == (
        -148
    )


def test_no_webhook_url_means_no_journey_posts(make_zalo):
    zalo = make_zalo(webhook_url=None, receipt_ratio=0.0)
    data = issued(zalo)
    assert send_under(zalo, data["token"])["error"] == 0
    assert expire(zalo, data["journey_id"]).json()["webhook"] is None
    assert zalo.inspect("webhooks")["count"] == 0


# -- /_sandbox/journeys ----------------------------------------------------------------------
def test_inspection_lists_tokens_and_counts_get_token_requests(zalo):
    data = issued(zalo)
    issued(zalo, phone=OTHER_PHONE, token_type="token_logistics_30")
    get_token(zalo, phone="0212345678")  # refused, but answered

    listing = zalo.inspect("journeys")

    assert listing["count"] == 2 and listing["get_token_requests"] == 3
    row = listing["journeys"][0]
    assert row["journey_id"] == data["journey_id"] and row["phone"] == PHONE
    assert row["token_type"] == "token_logistics_7"
    assert row["expires_ms"] - row["created_ms"] == 7 * DAY_MS
    assert "token" not in row
    assert [j["phone"] for j in zalo.inspect("journeys", phone="0933334444")["journeys"]] == [
        OTHER_PHONE
    ]


def test_inspection_refuses_a_bad_phone_filter(zalo):
    response = zalo.http.get(f"{zalo.url}/_sandbox/journeys", params={"phone": "x"}, timeout=5)
    assert response.status_code == 400


def test_expire_of_an_unknown_journey_is_404(zalo):
    assert expire(zalo, "123").status_code == 404
    not_a_route = zalo.http.post(f"{zalo.url}/_sandbox/journeys/1/2/expire", timeout=5)
    assert not_a_route.status_code == 404


def test_reset_forgets_the_journeys(zalo):
    data = issued(zalo)
    assert zalo.knob("reset", {}).status_code == 200
    assert zalo.inspect("journeys") == {"count": 0, "get_token_requests": 0, "journeys": []}
    assert send_under(zalo, data["token"])["error"] == -148


def test_index_links_the_journeys(zalo):
    assert zalo.inspect("")["links"]["journeys"].endswith("/_sandbox/journeys")
