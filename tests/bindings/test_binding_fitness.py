"""Bindings whose template changed or vanished on Zalo: told in the admin, by a system
check, and never sent (the message fails naming the param, with no API call)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from tests.factories import BindingFactory, OrderFactory
from zns_notify.bindings.validation import fitness_problems
from zns_notify.checks import check_bindings
from zns_notify.models import Message, Template

CHANGED_PARAMS = [
    {
        "name": "customer_name",
        "require": True,
        "type": "STRING",
        "max_length": 30,
        "min_length": 0,
        "accept_null": False,
    },
    {
        "name": "order_code",
        "require": True,
        "type": "STRING",
        "max_length": 30,
        "min_length": 0,
        "accept_null": False,
    },
    {
        "name": "voucher_code",
        "require": True,
        "type": "STRING",
        "max_length": 30,
        "min_length": 0,
        "accept_null": False,
    },
]


def change_params(template: Template) -> None:
    """What a sync does when Zalo's template lost total_amount and gained voucher_code."""
    template.params = CHANGED_PARAMS
    template.params_changed_at = timezone.now()
    template.save()


@pytest.mark.django_db
def test_a_fitting_binding_has_no_problems():
    assert fitness_problems(BindingFactory()) == []


@pytest.mark.django_db
def test_changed_params_are_named():
    binding = BindingFactory()
    change_params(binding.template)
    assert fitness_problems(binding) == [
        "Parameter total_amount does not exist in the template.",
        "Parameter voucher_code is required by the template but not bound.",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["PENDING_REVIEW", "REJECT", "DISABLE", "DELETE"])
def test_a_template_that_is_not_enabled(status):
    binding = BindingFactory()
    Template.objects.filter(pk=binding.template.pk).update(status=status)
    binding.refresh_from_db()
    assert fitness_problems(binding) == [
        f"Template {binding.template.template_id} is {status} on Zalo, not ENABLE."
    ]


@pytest.mark.django_db
def test_a_template_zalo_no_longer_lists():
    binding = BindingFactory()
    Template.objects.filter(pk=binding.template.pk).update(
        status="DELETE", missing_since=timezone.now()
    )
    binding.refresh_from_db()
    assert fitness_problems(binding) == [
        f"Template {binding.template.template_id} is no longer listed by Zalo."
    ]


@pytest.mark.django_db
def test_system_check_w003_names_binding_and_param():
    fine = BindingFactory(name="fine")
    broken = BindingFactory(name="broken", event="order_paid")
    change_params(broken.template)
    inactive = BindingFactory(name="off", is_active=False)
    change_params(inactive.template)
    warnings = check_bindings(databases=["default"])
    assert [w.id for w in warnings] == ["zns_notify.W003", "zns_notify.W003"]
    assert all(w.obj == broken for w in warnings)
    assert "broken" in warnings[0].msg and "total_amount" in warnings[0].msg
    assert "voucher_code" in warnings[1].msg
    assert fine.pk != broken.pk
    # Django runs database checks only when asked for a database (check --database, migrate).
    assert check_bindings(databases=None) == []
    with pytest.raises(SystemCheckError, match="zns_notify.W003"):
        call_command("check", "--database", "default", fail_level="WARNING")


@pytest.mark.django_db
def test_admin_flags_the_binding_in_the_list_and_on_its_page(admin_client):
    binding = BindingFactory(name="Xác nhận đơn")
    change_params(binding.template)
    page = admin_client.get(reverse("admin:zns_notify_binding_changelist")).content.decode()
    assert "⚠ Parameter total_amount does not exist in the template." in page
    assert "⚠ Parameter voucher_code is required by the template but not bound." in page
    url = reverse("admin:zns_notify_binding_change", args=[binding.pk])
    page = admin_client.get(url).content.decode()
    assert "This binding is not sent: Parameter voucher_code is required" in page


@pytest.mark.django_db
def test_admin_shows_nothing_for_a_fitting_binding(admin_client):
    binding = BindingFactory()
    url = reverse("admin:zns_notify_binding_change", args=[binding.pk])
    page = admin_client.get(url).content.decode()
    assert "This binding is not sent" not in page
    changelist = reverse("admin:zns_notify_binding_changelist")
    assert "⚠" not in admin_client.get(changelist).content.decode()


@pytest.mark.django_db
def test_template_admin_shows_params_and_what_the_sync_noticed(admin_client):
    binding = BindingFactory()
    template = binding.template
    Template.objects.filter(pk=template.pk).update(
        missing_since=timezone.now(), sync_note="No longer listed by Zalo (last status ENABLE)."
    )
    page = admin_client.get(reverse("admin:zns_notify_template_changelist")).content.decode()
    assert (
        '<span class="zns-param-spec">customer_name <small>(0–30)</small></span>' in page
        and "total_amount <small>(0–20)</small>" in page
    )
    assert "No longer listed by Zalo (last status ENABLE)." in page
    url = reverse("admin:zns_notify_template_change", args=[template.pk])
    page = admin_client.get(url).content.decode()
    assert "<td>total_amount</td><td>STRING</td><td>yes</td><td>0–20</td><td>no</td>" in page
    assert "Missing from Zalo since" in page


@pytest.mark.django_db(transaction=True)
def test_a_binding_whose_params_changed_is_not_sent():
    binding = BindingFactory()
    change_params(binding.template)
    OrderFactory()
    message = Message.objects.get()
    assert message.status == Message.Status.FAILED
    assert message.error_category == "payload"
    assert message.error_message == "Parameter total_amount does not exist in the template."
    assert OrmQ.objects.count() == 0  # never queued: no API call


@pytest.mark.django_db(transaction=True)
def test_a_binding_whose_template_vanished_is_not_sent():
    binding = BindingFactory()
    Template.objects.filter(pk=binding.template.pk).update(
        status="DELETE", missing_since=timezone.now()
    )
    OrderFactory()
    message = Message.objects.get()
    assert message.status == Message.Status.FAILED
    assert message.error_category == "config"
    assert "is DELETE on Zalo, not ENABLE" in message.error_message
    assert OrmQ.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_messages_for_a_disabled_template_wait_on_hold_and_go_once_it_is_enabled(account, zalo_api):
    from zns_notify.account import holds
    from zns_notify.models import SendingHold
    from zns_notify.sending.send import deliver

    binding = BindingFactory()
    Template.objects.filter(pk=binding.template.pk).update(status="DISABLE")
    OrderFactory()
    message = Message.objects.get()
    assert message.status == Message.Status.QUEUED  # not burned at event time
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED and message.attempts == 0
    assert message.error_category == "config" and "not enabled" in message.error_message
    assert not zalo_api.calls_to("/message/template")  # no API call while held
    Template.objects.filter(pk=binding.template.pk).update(status="ENABLE")
    holds.release(SendingHold.objects.all())  # what a sync finding it ENABLE does
    zalo_api.send_ok()
    deliver(message.idempotency_key)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
