"""The message log shows each policy decision and filters by it; binding form fields."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from tests.factories import BindingFactory, MessageFactory
from zns_notify.models import Binding, Message, RecipientDailyCount

pytestmark = pytest.mark.django_db


def test_the_message_log_shows_and_filters_policy_decisions(admin_client):
    until = timezone.now() + dt.timedelta(hours=3)
    deferred = MessageFactory(
        status=Message.Status.QUEUED,
        error_category="policy",
        next_attempt_at=until,
        error_message="Deferred: quiet hours",
    )
    skipped = MessageFactory(
        status=Message.Status.SKIPPED,
        error_category="policy",
        error_message="Skipped: the recipient opted out",
    )
    MessageFactory(status=Message.Status.SENT)
    url = reverse("admin:zns_notify_message_changelist")
    html = admin_client.get(url).content.decode()
    # In the active language's short format (docs/operators/delivery-log.md).
    when = date_format(timezone.localtime(until), "SHORT_DATETIME_FORMAT")
    assert f'deferred until <span class="zns-when">{when}</span>' in html
    assert "Skipped: the recipient opted out" in html
    for value, expected in (
        ("deferred", [deferred.pk]),
        ("skipped", [skipped.pk]),
        ("cancelled", []),
        ("any", sorted([deferred.pk, skipped.pk])),
    ):
        response = admin_client.get(url, {"policy": value})
        shown = sorted(m.pk for m in response.context["cl"].result_list)
        assert shown == expected, value
    detail = admin_client.get(reverse("admin:zns_notify_message_change", args=[deferred.pk]))
    assert "Deferred: quiet hours" in detail.content.decode()


def test_the_binding_form_edits_delay_and_condition_and_refuses_a_bad_condition(admin_client):
    binding = BindingFactory()
    url = reverse("admin:zns_notify_binding_change", args=[binding.pk])
    data = {
        "name": "Payment reminder",
        "event": "order_created",
        "template": binding.template.pk,
        "params": '{"customer_name": "{{ customer_name }}", "order_code": "{{ order_code }}",'
        ' "total_amount": "{{ order.total }}"}',
        "is_active": "on",
        "delay_minutes": "120",
        "condition": 'order.status == "new"',
    }
    assert admin_client.post(url, data).status_code == 302
    binding.refresh_from_db()
    assert (binding.delay_minutes, binding.condition) == (120, 'order.status == "new"')
    response = admin_client.post(url, {**data, "condition": "order.status =="})
    assert response.status_code == 200
    assert "condition" in response.context["adminform"].form.errors
    response = admin_client.post(url, {**data, "delay_minutes": "-5"})
    assert "delay_minutes" in response.context["adminform"].form.errors


def test_the_daily_counts_are_read_only(admin_client):
    row = RecipientDailyCount.objects.create(
        phone="84912345678", day=dt.date(2026, 11, 22), tag="TRANSACTION", count=3
    )
    assert (
        admin_client.get(reverse("admin:zns_notify_recipientdailycount_changelist")).status_code
        == 200
    )
    assert (
        admin_client.get(
            reverse("admin:zns_notify_recipientdailycount_change", args=[row.pk])
        ).status_code
        == 200
    )
    assert admin_client.get(reverse("admin:zns_notify_recipientdailycount_add")).status_code == 403


def test_a_binding_posted_without_a_delay_is_sent_at_once(admin_client):
    template = BindingFactory().template
    data = {
        "event": "order_paid",
        "template": template.pk,
        "is_active": "on",
        "params": '{"customer_name": "{{ customer_name }}", "order_code": "{{ order_code }}",'
        ' "total_amount": "{{ order.total }}"}',
    }
    assert admin_client.post(reverse("admin:zns_notify_binding_add"), data).status_code == 302
    assert Binding.objects.get(event="order_paid").delay_minutes == 0
