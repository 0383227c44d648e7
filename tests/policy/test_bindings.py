"""Delayed and guarded bindings: due N minutes after the event, cancelled when their
condition no longer holds at send time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ

from tests.factories import BindingFactory, MessageFactory, OrderFactory
from zns_notify import tasks
from zns_notify.events import outbox
from zns_notify.events.relay import claim_due_keys
from zns_notify.models import Binding, Message, MessageEvent
from zns_notify.sending.send import deliver

pytestmark = pytest.mark.django_db(transaction=True)
UNPAID = 'order.status == "new"'


def make_due(message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


# -- delayed: the hot path sets next_attempt_at and queues nothing -------------------------


def test_a_delayed_binding_writes_its_message_due_later_and_enqueues_nothing():
    BindingFactory(event="order_created", delay_minutes=120)
    before = timezone.now()
    OrderFactory()
    message = Message.objects.get()
    assert message.status == Message.Status.QUEUED
    assert message.next_attempt_at == message.created_at + dt.timedelta(minutes=120)
    assert message.created_at >= before
    assert OrmQ.objects.count() == 0  # the ORM broker gets no task until it is due


def test_an_event_with_delayed_and_immediate_bindings_enqueues_only_the_immediate_one():
    now_binding = BindingFactory(event="order_created")
    BindingFactory(event="order_created", template=now_binding.template, delay_minutes=30)
    OrderFactory()
    assert OrmQ.objects.count() == 1
    immediate = Message.objects.get(binding=now_binding)
    assert immediate.next_attempt_at is None


def test_a_delayed_message_is_not_sent_early_and_the_sweeper_queues_it_when_due(
    account, zalo_api, monkeypatch
):
    BindingFactory(event="order_created", delay_minutes=60)
    OrderFactory()
    message = Message.objects.get()
    assert deliver(message.idempotency_key) is None  # a task that ran early claims nothing
    pushed = []
    monkeypatch.setattr(tasks, "push_send_task", pushed.append)
    assert tasks.sweep() == 0  # not due, and not lost: it has a due time
    make_due(message)
    assert tasks.sweep() == 1 and pushed == [[message.idempotency_key]]
    zalo_api.send_ok()
    tasks.send_messages(pushed[0])
    assert Message.objects.get(pk=message.pk).status == Message.Status.SENT


def test_the_outbox_broker_relays_a_delayed_message_only_when_due(monkeypatch):
    """OutboxORM's poll hands out what claim_due_keys leases (tests/events/test_relay.py)."""
    monkeypatch.setattr(Conf, "BROKER_CLASS", "zns_notify.broker.OutboxORM")
    BindingFactory(event="order_created", delay_minutes=15)
    OrderFactory()
    message = Message.objects.get()
    assert claim_due_keys() == []
    make_due(message)
    assert claim_due_keys() == [message.idempotency_key]


def test_an_out_of_database_broker_is_not_pushed_delayed_messages(monkeypatch):
    """Redis and other brokers get the push after the commit; a delayed row waits for the
    sweeper, like a retry."""
    pushed = []
    monkeypatch.setattr(outbox, "_broker_shares_transaction", lambda using: False)
    monkeypatch.setattr(outbox, "push_send_task", pushed.append)
    immediate = BindingFactory(event="order_created")
    BindingFactory(event="order_created", template=immediate.template, delay_minutes=5)
    OrderFactory()
    assert pushed == [[Message.objects.get(binding=immediate).idempotency_key]]


# -- guarded: the condition is checked again when the message is due ----------------------


def reminder_for(order_status_later: str | None, *, condition: str = UNPAID):
    binding = BindingFactory(event="order_created", delay_minutes=120, condition=condition)
    order = OrderFactory()
    message = Message.objects.get(binding=binding)
    make_due(message)
    if order_status_later == "deleted":
        type(order).objects.filter(pk=order.pk).delete()
    elif order_status_later:
        type(order).objects.filter(pk=order.pk).update(status=order_status_later)
    return message


def test_a_reminder_for_an_order_still_unpaid_is_sent(account, zalo_api):
    message = reminder_for(None)
    zalo_api.send_ok()
    deliver(message.idempotency_key)
    assert Message.objects.get(pk=message.pk).status == Message.Status.SENT


def test_a_reminder_for_an_order_paid_meanwhile_is_cancelled_with_the_reason(
    account, zalo_api, skipped
):
    message = reminder_for("paid")
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.CANCELLED
    assert message.error_category == "policy" and UNPAID in message.error_message
    assert message.attempts == 0
    event = MessageEvent.objects.get(message=message, kind=MessageEvent.Kind.POLICY)
    assert event.status == Message.Status.CANCELLED and "no longer holds" in event.detail
    assert [s["rule"] for s in skipped] == ["condition"]
    assert zalo_api.calls_to("/message/template") == []


def test_a_message_for_an_order_that_is_gone_is_cancelled(account, zalo_api):
    message = reminder_for("deleted")
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.CANCELLED
    assert "no longer exists" in message.error_message


def test_the_condition_sees_the_same_variables_as_the_parameters(account, zalo_api):
    message = reminder_for(
        None, condition='customer_name == "Nguyễn Thị Lan" and event == "order_created"'
    )
    zalo_api.send_ok()
    deliver(message.idempotency_key)
    assert Message.objects.get(pk=message.pk).status == Message.Status.SENT


def test_an_order_reported_through_the_api_cannot_be_reread_so_a_guarded_message_is_cancelled(
    account, zalo_api
):
    binding = BindingFactory(condition=UNPAID)
    message = MessageFactory(binding=binding, order_type="api.order", order_pk="DH1")
    deliver(message.idempotency_key)
    assert Message.objects.get(pk=message.pk).status == Message.Status.CANCELLED


def test_a_message_of_a_binding_without_condition_needs_no_order(account, zalo_api):
    message = MessageFactory(binding=BindingFactory(), order_type="api.order", order_pk="DH1")
    zalo_api.send_ok()
    deliver(message.idempotency_key)
    assert Message.objects.get(pk=message.pk).status == Message.Status.SENT


# -- validation when the binding is saved -------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        "order.status ==",  # incomplete
        'order.status = "new"',  # not a comparison
        'order.status == "new" %}{% load x',  # tries to close the if-tag
        "{{ order.status }}",
        'order.status == "new"\n%}{% load x',  # over two lines
    ],
)
def test_a_bad_condition_is_refused_with_a_clear_error(condition):
    binding = BindingFactory.build(template=BindingFactory().template, condition=condition)
    with pytest.raises(ValidationError) as error:
        binding.full_clean()
    assert "condition" in error.value.message_dict
    assert "condition" in error.value.message_dict["condition"][0].lower()


def test_a_good_condition_and_a_delay_are_accepted():
    binding = BindingFactory.build(
        template=BindingFactory().template,
        condition='order.status == "new" and order.total > 100000',
        delay_minutes=2880,
    )
    binding.full_clean()
    assert Binding._meta.get_field("delay_minutes").default == 0


@pytest.mark.parametrize(
    "condition", ["order.cancel", "not order.mark_paid", 'order.mark_delivered == "x"']
)
def test_a_condition_never_calls_a_method_that_changes_the_order(account, zalo_api, condition):
    # Django's template engine calls any callable it meets unless it is marked alters_data;
    # a shop's own methods (Order.cancel(), mark_paid()) are not marked.
    message = reminder_for(None, condition=condition)
    deliver(message.idempotency_key)
    order = OrderFactory._meta.model.objects.get(pk=message.order_pk)
    assert order.status == "new" and order.paid_at is None and order.delivered_at is None


def test_a_condition_still_reads_fields_displays_and_related_counts(account, zalo_api):
    message = reminder_for(
        None,
        condition=(
            'order.status == "new" and order.get_status_display and order.items.count == 0 '
            "and not order.items.exists and now.year > 2000"
        ),
    )
    zalo_api.send_ok()
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT, message.error_message


def test_an_api_order_is_never_reread_from_a_host_model_that_happens_to_be_api_order(
    account, zalo_api, monkeypatch
):
    # A host with an app labelled "api" and an Order model: the API's order reference
    # must not be looked up as that model's primary key (an unrelated row).
    from django.apps import apps

    from zns_notify.rendering import conditions

    unrelated = OrderFactory()
    binding = BindingFactory(condition=UNPAID)
    message = MessageFactory(binding=binding, order_type="api.order", order_pk=str(unrelated.pk))
    real_get_model = apps.get_model
    monkeypatch.setattr(
        conditions.apps,
        "get_model",
        lambda label, *a, **k: (
            type(unrelated) if label == "api.order" else real_get_model(label, *a, **k)
        ),
    )
    deliver(message.idempotency_key)
    assert Message.objects.get(pk=message.pk).status == Message.Status.CANCELLED
