"""zns_sync_templates against a real sandbox on loopback, then what the admin shows:
design.md §5's templates with their params, and 100008 (PENDING_REVIEW) refused as an
active binding."""

from __future__ import annotations

import re

import pytest
import requests
from django.core.management import call_command
from django.urls import reverse

from zns_notify.models import Binding, Template
from zns_notify.sandbox.catalogue import demo_templates

pytestmark = pytest.mark.django_db(transaction=True)


def test_synced_templates_and_params_are_shown_in_the_admin(connected, admin_client, capsys):
    call_command("zns_sync_templates")
    assert "9 created" in capsys.readouterr().out
    page = admin_client.get(reverse("admin:zns_notify_template_changelist")).content.decode()
    for tid, template in demo_templates().items():
        assert tid in page and template.name in page
        for param in template.params:
            assert f"{param.name} <small>(0–{param.max_length})</small>" in page
    stored = {t.template_id: t for t in Template.objects.all()}
    assert (stored["100002"].zalo_tag, stored["100002"].tag) == ("IN_TRANSACTION", "TRANSACTION")
    care = stored["100006"]
    assert (care.zalo_tag, care.tag) == ("POST_TRANSACTION", "CUSTOMER_CARE")
    assert stored["100007"].price == 350 and stored["100007"].price_uid == 250
    assert stored["100001"].preview_url.startswith(connected.url)

    pending = stored["100008"]
    url = reverse("admin:zns_notify_template_change", args=[pending.pk])
    page = admin_client.get(url).content.decode()
    assert "Pending review" in page and "Mẫu đang chờ Zalo duyệt" in page
    assert re.search(r"<td>customer_name</td><td>STRING</td><td>yes</td><td>0–30</td>", page)


def test_the_pending_review_template_cannot_be_bound_as_active(connected, admin_client):
    call_command("zns_sync_templates")
    pending = Template.objects.get(template_id="100008")
    form = {
        "name": "Cập nhật",
        "event": "order_paid",
        "template": pending.pk,
        "params": '{"customer_name": "{{ customer_name }}", "order_code": "{{ order_code }}"}',
    }
    add = reverse("admin:zns_notify_binding_add")
    response = admin_client.post(add, {**form, "is_active": "on"})
    assert response.status_code == 200
    assert (
        "Template 100008 is PENDING_REVIEW on Zalo; only ENABLE templates can be bound "
        "as active." in response.content.decode()
    )
    assert not Binding.objects.exists()
    assert admin_client.post(add, form).status_code == 302  # inactive is fine: wait for approval
    assert Binding.objects.get().is_active is False


def test_a_template_disabled_on_zalo_flags_its_binding_after_the_next_sync(connected, admin_client):
    call_command("zns_sync_templates")
    template = Template.objects.get(template_id="100006")
    binding = Binding.objects.create(
        event="order_delivered",
        template=template,
        params={"customer_name": "{{ customer_name }}", "order_code": "{{ order_code }}"},
    )
    requests.post(
        f"{connected.url}/_sandbox/templates",
        json={"template_id": "100006", "status": "DISABLE"},
        timeout=5,
    )
    call_command("zns_sync_templates")
    page = admin_client.get(reverse("admin:zns_notify_binding_changelist")).content.decode()
    assert "⚠ Template 100006 is DISABLE on Zalo, not ENABLE." in page
    url = reverse("admin:zns_notify_binding_change", args=[binding.pk])
    page = admin_client.get(url).content.decode()
    assert "This binding is not sent: Template 100006 is DISABLE" in page


def test_sync_with_a_status_filter_uses_zalos_number(connected, capsys):
    call_command("zns_sync_templates", "--status", "PENDING_REVIEW")
    assert "1 created" in capsys.readouterr().out
    assert list(Template.objects.values_list("template_id", "status")) == [
        ("100008", "PENDING_REVIEW")
    ]
    call_command("zns_sync_templates", "--status", "1")
    assert "8 created, 0 updated, 0 unchanged, 0 no longer on Zalo" in capsys.readouterr().out
    assert Template.objects.count() == 9  # 100008 is outside the filter, not gone
    assert not Template.objects.filter(missing_since__isnull=False).exists()
