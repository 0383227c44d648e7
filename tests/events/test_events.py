"""Order events -> Message rows: the hot path, the watcher, and every bad-input path."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_q.models import OrmQ

from demo_shop.shop.models import Order
from tests.factories import BindingFactory, OrderFactory
from zns_notify import notify, signals
from zns_notify.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def queued_keys() -> list[str]:
    return [key for task in OrmQ.objects.all() for key in task.task["args"][0]]


def test_new_order_writes_one_rendered_message_and_enqueues_it():
    BindingFactory(event="order_created")
    order = OrderFactory(customer_name="Trần Văn Bình", phone="+84 912 345 678", total=1250000)

    message = Message.objects.get()
    assert message.status == Message.Status.QUEUED
    assert message.phone == "84912345678"
    assert message.params == {
        "customer_name": "Trần Văn Bình",
        "order_code": order.code,
        "total_amount": "1.250.000 đ",
    }
    assert message.order_ref == order.code
    assert len(message.idempotency_key) <= 48 and message.idempotency_key.isalnum()
    assert queued_keys() == [message.idempotency_key]


def test_status_changes_fire_their_events_once_each():
    for event in ("order_created", "order_paid", "order_shipped", "order_delivered"):
        BindingFactory(event=event)
    order = OrderFactory()
    order.status = Order.Status.PAID
    order.save()
    order.save()  # re-saving without a change fires nothing
    order.status = Order.Status.SHIPPED
    order.save(update_fields=["status"])
    order.status = Order.Status.DELIVERED
    order.save()

    events = sorted(Message.objects.values_list("event", flat=True))
    assert events == ["order_created", "order_delivered", "order_paid", "order_shipped"]


def test_reloaded_order_detects_the_change_without_extra_state():
    BindingFactory(event="order_paid")
    order = OrderFactory()
    fresh = Order.objects.get(pk=order.pk)
    fresh.status = Order.Status.PAID
    fresh.save()
    assert Message.objects.filter(event="order_paid").count() == 1


def test_repeated_event_is_idempotent():
    BindingFactory(event="order_paid")
    order = OrderFactory()
    notify("order_paid", order)
    notify("order_paid", order)
    signals.order_paid.send(sender=Order, order=order)
    assert Message.objects.filter(event="order_paid").count() == 1


def test_notify_returns_the_messages_and_accepts_extra_context():
    BindingFactory(
        event="order_cancelled",
        params={
            "customer_name": "{{ customer_name }}",
            "order_code": "{{ reason }}",
            "total_amount": "0",
        },
    )
    order = OrderFactory()
    messages = notify("order_cancelled", order, reason="Hết hàng")
    assert [m.params["order_code"] for m in messages] == ["Hết hàng"]


def test_signal_entry_point():
    BindingFactory(event="order_shipped")
    order = OrderFactory()
    signals.order_shipped.send(sender=Order, order=order)
    assert Message.objects.filter(event="order_shipped").count() == 1


def test_rolled_back_order_leaves_no_message_and_no_task():
    BindingFactory(event="order_created")
    with pytest.raises(RuntimeError), transaction.atomic():
        OrderFactory()
        raise RuntimeError("checkout failed after the order was saved")
    assert Message.objects.count() == 0
    assert OrmQ.objects.count() == 0


def test_event_with_no_active_binding_sends_nothing():
    BindingFactory(event="order_created", is_active=False)
    OrderFactory()
    assert Message.objects.count() == 0
    assert OrmQ.objects.count() == 0


@pytest.mark.parametrize("phone", ["", "12345", "028 3822 1234", "+1 202 555 0100", "not a phone"])
def test_bad_phone_is_recorded_as_skipped_and_never_queued(phone):
    BindingFactory(event="order_created")
    order = OrderFactory(phone=phone)
    message = Message.objects.get()
    assert message.status == Message.Status.SKIPPED
    assert message.error_category == "recipient"
    assert "phone" in message.error_message.lower()
    assert OrmQ.objects.count() == 0
    assert Order.objects.filter(pk=order.pk).exists()


def test_over_long_param_fails_naming_the_param():
    BindingFactory(event="order_created")
    OrderFactory(customer_name="Nguyễn Thị Thanh Hương Quỳnh Như Ngọc Anh")  # 40 chars > 30
    message = Message.objects.get()
    assert message.status == Message.Status.FAILED
    assert message.error_category == "payload"
    assert "customer_name" in message.error_message
    assert OrmQ.objects.count() == 0


def test_length_is_measured_in_nfc():
    import unicodedata

    name = unicodedata.normalize("NFD", "Nguyễn Thị Thanh Hương Quỳnh")  # 28 NFC chars, more in NFD
    assert len(name) > 30
    BindingFactory(event="order_created")
    OrderFactory(customer_name=name)
    assert Message.objects.get().status == Message.Status.QUEUED


@pytest.mark.parametrize(
    "expression, fragment",
    [
        ("{{ order.total|nosuchfilter }}", "invalid"),
        ("{% if %}", "invalid"),
        ("{{ order.explode }}", "rendering failed"),
        ("{{ order.missing_attribute }}", "empty"),
    ],
)
def test_broken_expression_fails_the_message_not_the_order(expression, fragment, monkeypatch):
    monkeypatch.setattr(Order, "explode", property(lambda self: 1 / 0), raising=False)
    BindingFactory(
        event="order_created",
        params={"customer_name": expression, "order_code": "{{ order_code }}", "total_amount": "1"},
    )
    order = OrderFactory()
    message = Message.objects.get()
    assert message.status == Message.Status.FAILED
    assert "customer_name" in message.error_message
    assert fragment in message.error_message
    assert Order.objects.filter(pk=order.pk).exists()


def test_unbound_required_param_fails_the_message():
    BindingFactory(event="order_created", params={"customer_name": "{{ customer_name }}"})
    OrderFactory()
    message = Message.objects.get()
    assert message.status == Message.Status.FAILED
    assert "order_code" in message.error_message


def test_broken_accessor_setting_fails_the_message_naming_the_setting(settings):
    BindingFactory(event="order_created")
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_PHONE": "no_such_field"}
    order = OrderFactory()
    assert Order.objects.filter(pk=order.pk).exists()
    message = Message.objects.get()
    assert message.status == Message.Status.FAILED
    assert message.error_category == "config"
    assert 'ZNS_NOTIFY["ORDER_PHONE"]' in message.error_message
    assert OrmQ.objects.count() == 0


def test_unexpected_error_never_breaks_the_order_save(monkeypatch, caplog):
    BindingFactory(event="order_created")

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("zns_notify.events.notify.write_messages", explode)
    order = OrderFactory()
    assert Order.objects.filter(pk=order.pk).exists()
    assert "could not record event order_created" in caplog.text


def test_invalid_event_name_is_a_clear_error():
    order = OrderFactory()
    with pytest.raises(ValueError, match="Invalid event name"):
        notify("Order Paid!", order)
    with pytest.raises(ValueError, match="saved object"):
        notify("order_paid", Order(customer_name="x", phone="0912345678"))


def test_event_costs_at_most_three_queries_inside_the_order_transaction():
    BindingFactory(event="order_paid")
    order = OrderFactory()
    order = Order.objects.get(pk=order.pk)
    with transaction.atomic():
        with CaptureQueriesContext(connection) as bare:
            order.save(update_fields=["status"])
        order.status = Order.Status.PAID
        with CaptureQueriesContext(connection) as with_event:
            order.save(update_fields=["status"])
    extra = len(with_event) - len(bare)
    assert extra <= 3, [q["sql"] for q in with_event.captured_queries]
    assert Message.objects.filter(event="order_paid").count() == 1


def test_watched_save_outside_a_transaction_commits_order_and_message_together():
    BindingFactory(event="order_paid")
    order = OrderFactory()
    order.status = Order.Status.PAID
    with CaptureQueriesContext(connection) as queries:
        order.save(update_fields=["status"])
    sql = [q["sql"].upper() for q in queries.captured_queries]
    # One transaction around the UPDATE and the outbox writes.
    assert sum(s.startswith("BEGIN") for s in sql) <= 1
    assert Message.objects.filter(event="order_paid").count() == 1


def test_deferred_status_field_still_fires_once():
    BindingFactory(event="order_paid")
    order = OrderFactory()
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)
    deferred = Order.objects.defer("status").get(pk=order.pk)
    deferred.save()  # saves only loaded fields: the status did not change here
    assert Message.objects.count() == 0
    deferred.status = Order.Status.PAID  # unknown previous status counts as a change
    deferred.save()
    deferred.save()
    assert Message.objects.filter(event="order_paid").count() == 1


def test_a_rolled_back_status_change_fires_again_when_saved_again():
    BindingFactory(event="order_paid")
    order = OrderFactory()
    order.status = Order.Status.PAID
    with pytest.raises(RuntimeError), transaction.atomic():
        order.save()
        raise RuntimeError("payment gateway error after the save")
    assert Message.objects.filter(event="order_paid").count() == 0
    order.save()  # the shop retries with the same instance
    assert Message.objects.filter(event="order_paid").count() == 1


def test_a_database_error_writing_messages_fails_the_save_loudly(monkeypatch):
    from django.db import DatabaseError

    BindingFactory(event="order_paid")
    order = OrderFactory()

    def broken(*args, **kwargs):
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr("zns_notify.events.outbox.insert_rows", broken)
    order.status = Order.Status.PAID
    with pytest.raises(DatabaseError):
        order.save()
    assert Order.objects.get(pk=order.pk).status == Order.Status.NEW  # nothing half-committed


def test_messages_that_fail_before_sending_are_announced():
    seen = []
    signals.message_failed.connect(
        lambda **kw: seen.append(kw), weak=False, dispatch_uid="t-failed"
    )
    try:
        BindingFactory(event="order_created", params={"customer_name": "{% if %}"})
        OrderFactory()
    finally:
        signals.message_failed.disconnect(dispatch_uid="t-failed")
    assert len(seen) == 1
    assert seen[0]["category"] == "payload" and "customer_name" in seen[0]["reason"]
