"""Opt-out: the Python API, the admin, and the worker skipping care and promotion."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

import zns_notify
from tests.factories import MessageFactory, TemplateFactory
from zns_notify.exceptions import ZnsInvalidPhone
from zns_notify.models import Message, RecipientOptOut
from zns_notify.policy.opt_outs import is_opted_out
from zns_notify.sending.send import deliver

pytestmark = pytest.mark.django_db(transaction=True)


def test_opt_out_stores_the_normalized_number_and_opt_in_removes_it():
    record = zns_notify.opt_out("0912 345 678", reason="Khách yêu cầu qua hotline")
    assert (record.phone, record.source) == ("84912345678", RecipientOptOut.Source.API)
    assert is_opted_out("+84 912345678")
    again = zns_notify.opt_out("84912345678", reason="again", source="customer")
    assert RecipientOptOut.objects.count() == 1 and again.reason == "again"
    assert zns_notify.opt_in("0912.345.678") is True
    assert zns_notify.opt_in("0912345678") is False
    assert not is_opted_out("0912345678")


@pytest.mark.parametrize("phone", ["", "12345", "+1 415 555 0100", "024 3825 7670"])
def test_a_number_zns_cannot_reach_is_refused_and_nothing_is_stored(phone):
    with pytest.raises(ZnsInvalidPhone):
        zns_notify.opt_out(phone)
    assert not RecipientOptOut.objects.exists()


def test_an_opted_out_recipient_gets_transactions_but_not_care_or_promotion(
    account, zalo_api, skipped
):
    zns_notify.opt_out("0912345678")
    care = MessageFactory(template=TemplateFactory(tag="CUSTOMER_CARE"))
    promotion = MessageFactory(template=TemplateFactory(tag="PROMOTION"))
    receipt = MessageFactory(template=TemplateFactory(tag="TRANSACTION"))
    zalo_api.send_ok()
    for message in (care, promotion, receipt):
        deliver(message.idempotency_key)
    status = {m.pk: m for m in Message.objects.all()}
    assert status[receipt.pk].status == Message.Status.SENT
    for message in (care, promotion):
        assert status[message.pk].status == Message.Status.SKIPPED
        assert "opted out" in status[message.pk].error_message
    assert sorted(s["rule"] for s in skipped) == ["opt_out", "opt_out"]
    assert len(zalo_api.calls_to("/message/template")) == 1


def test_the_tags_opt_out_covers_are_a_setting(account, zalo_api, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "OPT_OUT_TAGS": ["PROMOTION"]}
    zns_notify.opt_out("0912345678")
    zalo_api.send_ok()
    care = MessageFactory(template=TemplateFactory(tag="CUSTOMER_CARE"))
    deliver(care.idempotency_key)
    assert Message.objects.get(pk=care.pk).status == Message.Status.SENT


# -- admin ---------------------------------------------------------------------------------


def add_url():
    return reverse("admin:zns_notify_recipientoptout_add")


def test_admin_refuses_an_invalid_phone_with_a_clear_error(admin_client):
    response = admin_client.post(
        add_url(),
        {
            "phone": "0123",
            "reason": "x",
            "source": "admin",
            "opted_out_at_0": "2026-11-22",
            "opted_out_at_1": "10:00:00",
        },
    )
    assert response.status_code == 200
    assert "phone" in response.context["adminform"].form.errors
    assert (
        "not a valid number" in response.content.decode()
        or "malformed" in response.content.decode()
    )
    assert not RecipientOptOut.objects.exists()


def test_admin_stores_a_typed_number_normalized_and_refuses_a_duplicate(admin_client):
    data = {
        "phone": "0912 345 678",
        "reason": "hotline",
        "source": "customer",
        "opted_out_at_0": "2026-11-22",
        "opted_out_at_1": "10:00:00",
    }
    assert admin_client.post(add_url(), data).status_code == 302
    assert RecipientOptOut.objects.get().phone == "84912345678"
    response = admin_client.post(add_url(), {**data, "phone": "+84912345678"})
    assert response.status_code == 200 and "already opted out" in response.content.decode()


def test_staff_without_the_phone_permission_see_opt_outs_masked(client, admin_client):
    record = zns_notify.opt_out("0912345678", reason="hotline")
    staff = User.objects.create_user("operator", password="pw", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_recipientoptout", "change_recipientoptout"])
    )
    client.force_login(staff)
    for url in (
        reverse("admin:zns_notify_recipientoptout_changelist"),
        reverse("admin:zns_notify_recipientoptout_change", args=[record.pk]),
    ):
        html = client.get(url).content.decode()
        assert "********678" in html and "84912345678" not in html, url
    html = admin_client.get(reverse("admin:zns_notify_recipientoptout_changelist")).content.decode()
    assert "84912345678" in html


def test_staff_without_the_phone_permission_cannot_filter_opt_outs_by_phone(client, admin_client):
    # ?phone__startswith=… one digit at a time would spell out the masked numbers.
    zns_notify.opt_out("0912345678", reason="hotline")
    staff = User.objects.create_user("operator", password="pw", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename="view_recipientoptout"))
    client.force_login(staff)
    url = reverse("admin:zns_notify_recipientoptout_changelist")
    assert client.get(url, {"phone__startswith": "8491"}).status_code == 400
    assert client.get(url, {"phone": "84912345678"}).status_code == 400
    assert "84912345678" in admin_client.get(url, {"phone__startswith": "8491"}).content.decode()


def test_the_daily_counts_hide_the_number_from_staff_without_the_phone_permission(client):
    import datetime as dt

    from zns_notify.models import RecipientDailyCount

    row = RecipientDailyCount.objects.create(
        phone="84912345678", day=dt.date(2026, 11, 22), tag="PROMOTION", count=2
    )
    staff = User.objects.create_user("operator", password="pw", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename="view_recipientdailycount"))
    client.force_login(staff)
    url = reverse("admin:zns_notify_recipientdailycount_changelist")
    assert client.get(url, {"phone__startswith": "8491"}).status_code == 400
    for page in (url, reverse("admin:zns_notify_recipientdailycount_change", args=[row.pk])):
        html = client.get(page).content.decode()
        assert "84912345678" not in html and "********678" in html, page


def test_an_operators_resend_to_an_opted_out_recipient_is_skipped_like_any_message(
    account, zalo_api, skipped
):
    from zns_notify.log import actions as log_actions

    original = MessageFactory(template=TemplateFactory(tag="CUSTOMER_CARE"), status="failed")
    zns_notify.opt_out("0912345678")
    copy = log_actions.resend(original, User.objects.create_user("op", is_staff=True))
    deliver(copy.idempotency_key)
    copy.refresh_from_db()
    assert copy.status == Message.Status.SKIPPED and "opted out" in copy.error_message
    assert [s["rule"] for s in skipped] == ["opt_out"]
    assert not zalo_api.calls_to("/message/template")
