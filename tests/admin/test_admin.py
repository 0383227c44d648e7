"""Every admin page answers, phones are masked, and tokens are never rendered."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from tests.factories import BindingFactory, MessageFactory, ZaloAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects():
    account = ZaloAccountFactory(
        access_token="very-secret-access", refresh_token="very-secret-refresh"
    )
    binding = BindingFactory()
    message = MessageFactory(template=binding.template, binding=binding, phone="84912345678")
    return account, binding.template, binding, message


def test_every_admin_url_answers(admin_client, objects):
    for obj in objects:
        meta = obj._meta
        base = f"admin:{meta.app_label}_{meta.model_name}"
        for url in (reverse(f"{base}_changelist"), reverse(f"{base}_change", args=[obj.pk])):
            assert admin_client.get(url).status_code == 200, url
    assert admin_client.get(reverse("admin:zns_notify_binding_add")).status_code == 200


def test_tokens_are_never_rendered(admin_client, objects):
    account = objects[0]
    for url in (
        reverse("admin:zns_notify_zaloaccount_change", args=[account.pk]),
        reverse("admin:zns_notify_zaloaccount_changelist"),
    ):
        html = admin_client.get(url).content.decode()
        assert "very-secret" not in html


def test_phone_is_masked_without_the_permission(client, objects):
    staff = User.objects.create_user("operator", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_message"))
    client.force_login(staff)
    html = client.get(reverse("admin:zns_notify_message_changelist")).content.decode()
    assert "********678" in html and "84912345678" not in html
    staff.user_permissions.add(Permission.objects.get(codename="view_full_phone"))
    staff = User.objects.get(pk=staff.pk)
    client.force_login(staff)
    html = client.get(reverse("admin:zns_notify_message_changelist")).content.decode()
    assert "84912345678" in html


def test_message_log_is_read_only(admin_client, objects):
    message = objects[3]
    response = admin_client.post(
        reverse("admin:zns_notify_message_change", args=[message.pk]), {"status": "delivered"}
    )
    assert response.status_code == 403


def test_changelist_query_count_is_bounded(admin_client, objects, django_assert_max_num_queries):
    for _ in range(30):
        MessageFactory(template=objects[1])
    with django_assert_max_num_queries(12):
        admin_client.get(reverse("admin:zns_notify_message_changelist"))


def test_message_log_cannot_be_deleted_from_the_admin(admin_client, objects):
    message = objects[3]
    assert (
        admin_client.get(reverse("admin:zns_notify_message_delete", args=[message.pk])).status_code
        == 403
    )
    page = admin_client.get(reverse("admin:zns_notify_message_changelist")).content.decode()
    assert "delete_selected" not in page


def test_binding_form_offers_the_declared_events_and_refuses_bad_bindings(admin_client, objects):
    from zns_notify.models import Binding, Template

    add = reverse("admin:zns_notify_binding_add")
    page = admin_client.get(add).content.decode()
    assert 'value="order_cancelled"' in page and 'value="order_paid"' in page
    pending = Template.objects.create(
        template_id="900001", name="Chờ duyệt", status="PENDING_REVIEW"
    )
    response = admin_client.post(
        add,
        {
            "name": "x",
            "event": "order_paid",
            "template": pending.pk,
            "params": "{}",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "only ENABLE templates can be bound as active" in response.content.decode()
    assert not Binding.objects.filter(name="x").exists()


def test_staff_without_the_permission_cannot_search_by_phone(client, objects):
    staff = User.objects.create_user("operator2", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_message"))
    client.force_login(staff)
    url = reverse("admin:zns_notify_message_changelist")
    assert "0 results" in client.get(url, {"q": "84912345678"}).content.decode()


def test_template_sync_needs_the_change_permission(client, objects):
    staff = User.objects.create_user("viewer", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_template"))
    client.force_login(staff)
    assert client.post(reverse("admin:zns_notify_template_sync")).status_code == 403


def test_a_phone_inside_the_rendered_params_is_masked_too(client, objects):
    message = objects[3]
    message.params = {"contact": "Gọi 0912345678"}
    message.save()
    staff = User.objects.create_user("operator3", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_message"))
    client.force_login(staff)
    html = client.get(
        reverse("admin:zns_notify_message_change", args=[message.pk])
    ).content.decode()
    assert "0912345678" not in html and "*******678" in html
