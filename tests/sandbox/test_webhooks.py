"""Signed user_received_message receipts posted back to the app."""

from __future__ import annotations

import hashlib
import json
import time

from zns_notify.sandbox.defaults import DEMO_APP_ID, DEMO_OA_ID, DEMO_OA_SECRET_KEY

from .conftest import PHONE
from .test_status_quota import wait_until


def expected_signature(raw: bytes, app_id=DEMO_APP_ID, secret=DEMO_OA_SECRET_KEY) -> str:
    body = json.loads(raw)
    digest = hashlib.sha256(
        app_id.encode() + raw + body["timestamp"].encode() + secret.encode()
    ).hexdigest()
    return f"mac={digest}"


def test_receipt_is_posted_signed_with_the_oa_secret_key(make_zalo, receiver):
    zalo = make_zalo(webhook_url=receiver.url)
    sent = zalo.send(tracking_id="order-88213")["data"]

    [post] = receiver.wait_for(1)

    assert post["headers"]["Content-Type"] == "application/json"
    assert post["headers"]["X-ZEvent-Signature"] == expected_signature(post["raw"])
    body = json.loads(post["raw"])
    assert list(body) == ["app_id", "event_name", "sender", "recipient", "message", "timestamp"]
    assert body["app_id"] == DEMO_APP_ID
    assert body["event_name"] == "user_received_message"
    assert body["sender"] == {"id": DEMO_OA_ID}
    assert body["recipient"] == {"id": PHONE}
    assert body["message"]["msg_id"] == sent["msg_id"]
    assert body["message"]["tracking_id"] == "order-88213"
    assert int(body["message"]["delivery_time"]) == int(sent["sent_time"]) + 50
    assert body["timestamp"].isdigit()


def test_signature_uses_configured_credentials(make_zalo, receiver):
    zalo = make_zalo(webhook_url=receiver.url, app_id="111", oa_secret_key="s3cret")
    zalo.send()
    [post] = receiver.wait_for(1)
    assert post["headers"]["X-ZEvent-Signature"] == expected_signature(post["raw"], "111", "s3cret")
    assert json.loads(post["raw"])["app_id"] == "111"


def test_receipt_recipient_is_the_hash_for_hashphone(make_zalo, receiver):
    zalo = make_zalo(webhook_url=receiver.url)
    digest = hashlib.sha256(PHONE.encode()).hexdigest()
    zalo.send("/message/template/hashphone", phone=..., hash_phone=digest)
    [post] = receiver.wait_for(1)
    assert json.loads(post["raw"])["recipient"] == {"id": digest}


def test_development_sends_get_receipts_too(make_zalo, receiver):
    zalo = make_zalo(webhook_url=receiver.url)
    zalo.send(phone="84987654321", mode="development")
    assert len(receiver.wait_for(1)) == 1


def test_failed_posts_are_retried(make_zalo, receiver):
    receiver.statuses = [500, 503]
    zalo = make_zalo(webhook_url=receiver.url)
    zalo.send()

    posts = receiver.wait_for(3)

    assert [p["status"] for p in posts] == [500, 503, 200]
    assert posts[0]["raw"] == posts[2]["raw"]  # the same signed event, re-sent
    assert wait_until(lambda: zalo.inspect("webhooks")["webhooks"][0]["status"] == "delivered")
    [record] = zalo.inspect("webhooks")["webhooks"]
    assert [a["status_code"] for a in record["attempts"]] == [500, 503, 200]


def test_receipt_marks_delivery_even_when_every_post_fails(make_zalo, receiver):
    receiver.statuses = [500] * 10
    zalo = make_zalo(webhook_url=receiver.url)
    msg_id = zalo.send()["data"]["msg_id"]

    assert len(receiver.wait_for(4)) == 4  # first try + 3 retries
    assert wait_until(lambda: zalo.inspect("webhooks")["webhooks"][0]["status"] == "failed")
    time.sleep(0.3)
    assert len(receiver.posts) == 4
    assert zalo.get("/message/status", message_id=msg_id)["data"]["status"] == 1


def test_unreachable_webhook_records_the_error(make_zalo):
    zalo = make_zalo(webhook_url="http://127.0.0.1:9/nothing-listens")
    zalo.send()
    assert wait_until(
        lambda: (
            zalo.inspect("webhooks")["count"] == 1
            and zalo.inspect("webhooks")["webhooks"][0]["status"] == "failed"
        )
    )
    attempts = zalo.inspect("webhooks")["webhooks"][0]["attempts"]
    assert len(attempts) == 4 and all(a["error"] == "ConnectionError" for a in attempts)


def test_no_webhook_url_means_no_posts_but_delivery(make_zalo):
    zalo = make_zalo(webhook_url=None)
    msg_id = zalo.send()["data"]["msg_id"]
    assert wait_until(lambda: zalo.get("/message/status", message_id=msg_id)["data"]["status"])
    assert zalo.inspect("webhooks") == {"count": 0, "webhooks": []}


def test_webhook_url_can_be_set_at_runtime(make_zalo, receiver):
    zalo = make_zalo(webhook_url=None, receipt_delay=0.2)
    assert zalo.knob("config", {"webhook_url": receiver.url}).status_code == 200
    zalo.send()
    assert len(receiver.wait_for(1)) == 1


def test_receipt_ratio_is_deterministic_with_a_seed(make_zalo):
    def delivered_pattern(seed):
        zalo = make_zalo(seed=seed, receipt_ratio=0.5, receipt_delay=0.0)
        for _ in range(40):
            zalo.send()
        return [
            m["receipt"]
            for m in (
                {"receipt": m["delivered_time"] is not None}
                for m in zalo.inspect("messages")["messages"]
            )
        ]

    time.sleep(0.01)
    first, second, other = delivered_pattern(1), delivered_pattern(1), delivered_pattern(2)
    assert first == second
    assert first != other
    assert 5 < sum(first) < 35


def test_reset_drops_pending_receipts(make_zalo, receiver):
    zalo = make_zalo(webhook_url=receiver.url, receipt_delay=0.3)
    zalo.send()
    assert zalo.knob("reset", {}).status_code == 200
    time.sleep(0.5)
    assert receiver.posts == []


def test_webhook_ratio_withholds_webhooks_but_the_status_api_still_delivers(make_zalo, receiver):
    zalo = make_zalo(webhook_url=receiver.url, receipt_delay=0.05, webhook_ratio=0.5, seed=3)
    sent = [zalo.send()["data"]["msg_id"] for _ in range(20)]
    messages = {m["msg_id"]: m for m in zalo.inspect("messages")["messages"]}
    withheld = [msg_id for msg_id in sent if not messages[msg_id]["webhook"]]
    posted = [msg_id for msg_id in sent if messages[msg_id]["webhook"]]
    assert withheld and posted
    receiver.wait_for(len(posted))
    time.sleep(0.3)
    assert len(receiver.posts) == len(posted)
    hooked = {json.loads(p["raw"])["message"]["msg_id"] for p in receiver.posts}
    assert hooked == set(posted)
    for msg_id in withheld:  # delivered all the same: only the status API says so
        data = zalo.get("/message/status", message_id=msg_id)["data"]
        assert data["status"] == 1 and int(data["delivery_time"]) > 0


def test_webhook_ratio_is_a_runtime_knob(zalo):
    assert zalo.knob("config", {"webhook_ratio": 0.25}).status_code == 200
    assert zalo.inspect("config")["webhook_ratio"] == 0.25
    assert zalo.knob("config", {"webhook_ratio": 1.5}).status_code == 400


# -- the other events, on demand (POST /_sandbox/events) -----------------------------------


def test_template_status_event_is_signed_and_changes_the_sandbox_template(make_zalo, receiver):
    zalo = make_zalo(webhook_url=receiver.url)
    response = zalo.knob(
        "events",
        {
            "event_name": "change_template_status",
            "template_id": "100001",
            "status": "DISABLE",
            "reason": "Vi phạm chính sách",
        },
    )
    assert response.status_code == 200
    [post] = receiver.wait_for(1)
    assert post["headers"]["X-ZEvent-Signature"] == expected_signature(post["raw"])
    body = json.loads(post["raw"])
    assert list(body)[0] == "app_id" and list(body)[-1] == "timestamp"
    assert body["event_name"] == "change_template_status" and body["oa_id"] == DEMO_OA_ID
    assert body["status"] == {"prev_status": "ENABLE", "new_status": "DISABLE"}
    assert body["reason"] == "Vi phạm chính sách"
    assert zalo.send()["error"] == -131  # the sandbox's template is disabled too


def test_quality_quota_and_feedback_events(make_zalo, receiver):
    zalo = make_zalo(webhook_url=receiver.url, receipt_ratio=0.0)
    msg_id = zalo.send(tracking_id="order-1")["data"]["msg_id"]
    assert (
        zalo.knob(
            "events",
            {"event_name": "change_template_quality", "template_id": "100001", "quality": "LOW"},
        ).status_code
        == 200
    )
    assert (
        zalo.knob(
            "events", {"event_name": "change_oa_daily_quota", "daily_quota": 50_000}
        ).status_code
        == 200
    )
    assert (
        zalo.knob(
            "events", {"event_name": "user_feedback", "msg_id": msg_id, "rate": 4, "note": "Tốt"}
        ).status_code
        == 200
    )
    posts = [json.loads(p["raw"]) for p in receiver.wait_for(3)]
    by_name = {p["event_name"]: p for p in posts}
    assert by_name["change_template_quality"]["quality"] == "LOW"
    assert by_name["change_oa_daily_quota"]["oaId"] == DEMO_OA_ID
    assert by_name["change_oa_daily_quota"]["quota"] == {"prev_value": 20_000, "new_value": 50_000}
    rating = by_name["user_feedback"]["message"]
    assert (rating["msg_id"], rating["tracking_id"], rating["rate"]) == (msg_id, "order-1", 4)
    assert zalo.get("/message/quota")["data"]["dailyQuota"] == "50000"
    assert {r["event_name"] for r in zalo.inspect("webhooks")["webhooks"]} == set(by_name)


def test_raw_payload_events_are_signed_as_given(make_zalo, receiver):
    zalo = make_zalo(webhook_url=receiver.url)
    zalo.knob("events", {"payload": {"event_name": "user_seen_message", "x": 1}})
    [post] = receiver.wait_for(1)
    assert post["headers"]["X-ZEvent-Signature"] == expected_signature(post["raw"])
    assert json.loads(post["raw"])["x"] == 1


def test_bad_event_requests_are_refused(make_zalo, receiver):
    zalo = make_zalo(webhook_url=receiver.url)
    assert zalo.knob("events", {"event_name": "nope"}).status_code == 400
    assert (
        zalo.knob(
            "events",
            {"event_name": "change_template_status", "template_id": "9", "status": "DISABLE"},
        ).status_code
        == 400
    )
    assert zalo.knob("events", {"event_name": "user_feedback", "msg_id": "x"}).status_code == 400
    no_url = make_zalo(webhook_url=None)
    assert no_url.knob("events", {"payload": {"event_name": "x"}}).status_code == 400


def test_an_event_posted_after_the_webhook_url_was_unset_is_dropped(make_zalo):
    """The state checks webhook_url before it asks the dispatcher to post; a knob can unset
    it in between: the dispatcher then posts nothing and says so (None), as for a receipt."""
    zalo = make_zalo(webhook_url="http://127.0.0.1:9/hook")
    state = zalo.server.state
    state.update_config({"webhook_url": None})
    assert state.event_poster({"event_name": "change_oa_daily_quota"}) is None
    assert zalo.inspect("webhooks")["count"] == 0


def test_an_event_asked_for_without_a_webhook_url_is_refused(make_zalo):
    zalo = make_zalo(webhook_url=None)
    answer = zalo.knob("events", {"event_name": "change_oa_daily_quota", "daily_quota": 5000})
    assert answer.status_code == 400 and "webhook_url" in answer.json()["message"]
