"""Template pages: what Zalo knows, read-only, laid out for an operator, with "Sync from Zalo"
on the page."""

from __future__ import annotations

import re
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from tests.factories import TemplateFactory
from zns_notify.models import Template

pytestmark = pytest.mark.django_db


@pytest.fixture
def template():
    return TemplateFactory(
        status=Template.Status.REJECT,
        reason="Nội dung chưa rõ ràng",
        quality="LOW",
        price=Decimal("1250.00"),
        price_uid=Decimal("150.00"),
        preview_url="https://account.zalo.cloud/znspreview/abc",
        buttons=[
            {"type": 1, "title": "Xem đơn hàng", "content": "https://shop.example.vn/don"},
            {"type": 2, "title": "Gọi tổng đài", "content": "19001234"},
        ],
    )


def test_the_page_shows_what_zalo_knows(admin_client, template):
    page = admin_client.get(
        reverse("admin:zns_notify_template_change", args=[template.pk])
    ).content.decode()
    assert '<span class="zns-badge zns-badge-bad">Rejected</span>' in page
    assert "Nội dung chưa rõ ràng" in page and "LOW" in page
    assert "1,250 VND" in page and "150 VND" in page
    assert (
        '<a href="https://account.zalo.cloud/znspreview/abc" target="_blank" '
        'rel="noopener noreferrer">Open Zalo&#x27;s preview (new tab)</a>'
    ) in page
    assert "<td>Xem đơn hàng</td><td>opens a web page</td>" in page
    assert "<td>Gọi tổng đài</td><td>calls a phone number</td><td>19001234</td>" in page
    assert "<td>total_amount</td><td>STRING</td><td>yes</td><td>0–20</td><td>no</td>" in page
    # Read-only: no input for what the next sync would overwrite.
    assert 'name="status"' not in page and 'name="name"' not in page
    assert 'href="/static/zns_notify/admin.css"' in page


def test_the_list_shows_status_badges(admin_client, template):
    TemplateFactory(template_id="300001", status=Template.Status.ENABLE)
    page = admin_client.get(reverse("admin:zns_notify_template_changelist")).content.decode()
    assert '<span class="zns-badge zns-badge-bad">Rejected</span>' in page
    assert '<span class="zns-badge zns-badge-ok">Enabled</span>' in page


def test_sync_from_the_page_comes_back_to_it(admin_client, template):
    url = reverse("admin:zns_notify_template_change", args=[template.pk])
    page = admin_client.get(url).content.decode()
    assert f'action="{reverse("admin:zns_notify_template_sync")}"' in page
    with mock.patch("zns_notify.admin.templates.sync_templates", return_value="1 updated") as sync:
        response = admin_client.post(reverse("admin:zns_notify_template_sync"), {"next": url})
    assert sync.called and response.status_code == 302 and response.url == url
    # Anywhere else is not followed.
    with mock.patch("zns_notify.admin.templates.sync_templates", return_value="1 updated"):
        response = admin_client.post(
            reverse("admin:zns_notify_template_sync"), {"next": "https://evil.example/"}
        )
    assert response.url == reverse("admin:zns_notify_template_changelist")


def test_the_sync_button_needs_the_change_permission(client, template):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_template"))
    client.force_login(viewer)
    for url in (
        reverse("admin:zns_notify_template_change", args=[template.pk]),
        reverse("admin:zns_notify_template_changelist"),
    ):
        assert "Sync from Zalo" not in client.get(url).content.decode()
    with mock.patch("zns_notify.admin.templates.sync_templates") as sync:
        assert client.post(reverse("admin:zns_notify_template_sync")).status_code == 403
    assert not sync.called


def test_the_page_offers_nothing_to_save(admin_client, template):
    page = admin_client.get(
        reverse("admin:zns_notify_template_change", args=[template.pk])
    ).content.decode()
    assert 'name="_save"' not in page and 'name="_continue"' not in page


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_zalo_s_preview_link_is_only_followed_over_http(admin_client, template, url):
    """The preview URL comes from Zalo's API: a link the admin shows must not run script in
    the admin's origin whatever it holds."""
    template.preview_url = url
    template.save()
    page = admin_client.get(
        reverse("admin:zns_notify_template_change", args=[template.pk])
    ).content.decode()
    assert "Open Zalo&#x27;s preview" not in page
    assert 'href="javascript:' not in page.lower() and 'href=" javascript:' not in page.lower()
    assert 'href="data:' not in page


@pytest.mark.parametrize("back", ["//evil.example/", "/\\evil.example/", "https:evil.example"])
def test_sync_does_not_follow_a_next_elsewhere(admin_client, template, back):
    with mock.patch("zns_notify.admin.templates.sync_templates", return_value="1 updated"):
        response = admin_client.post(reverse("admin:zns_notify_template_sync"), {"next": back})
    assert response.url == reverse("admin:zns_notify_template_changelist")
    assert admin_client.get(reverse("admin:zns_notify_template_sync")).status_code == 405


@pytest.mark.parametrize(
    "language,price,timeout", [("en", "1,250 VND", "7,200,000"), ("vi", "1.250 ₫", "7.200.000")]
)
def test_prices_and_numbers_follow_the_language_as_on_the_reports(
    admin_client, template, language, price, timeout
):
    template.timeout_ms = 7_200_000
    template.save()
    admin_client.cookies["django_language"] = language
    page = admin_client.get(
        reverse("admin:zns_notify_template_change", args=[template.pk]),
        HTTP_ACCEPT_LANGUAGE=language,
    ).content.decode()
    assert price in page and timeout in page
    listing = admin_client.get(
        reverse("admin:zns_notify_template_changelist"), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert price in listing


def test_the_list_keeps_every_fact_in_four_columns(admin_client, template):
    """Combined so the list fits beside the admin's menu and filters: id over name, badge
    over tag and the sync's note, parameters, quality over price."""
    from django.utils import timezone

    template.missing_since = timezone.now()
    template.sync_note = "Not in Zalo's list at the last sync."
    template.save()
    page = admin_client.get(reverse("admin:zns_notify_template_changelist")).content.decode()
    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', page)
    assert headers == [
        "template_display",
        "state_display",
        "params_display",
        "quality_price_display",
    ]
    assert (
        f'<span class="zns-template-id">{template.template_id}</span>'
        f'<span class="zns-sub zns-template-name">{template.name}</span>'
    ) in page
    assert (
        '<span class="zns-badge zns-badge-bad">Missing from Zalo</span>'
        f'<span class="zns-sub">{template.tag}</span>'
        '<span class="zns-sub zns-sync-note">Not in Zalo&#x27;s list at the last sync.'
        "</span>"
    ) in page
    assert "total_amount <small>(0–20)</small>" in page
    assert 'LOW<span class="zns-sub">1,250 VND</span>' in page
