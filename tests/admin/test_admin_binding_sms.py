"""The binding editor's SMS fallback fieldset: the fields on the page, the SMS preview
(rendered like the worker renders it, measured like the provider is sent it) and the
model's refusals shown next to the SMS fields."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.admin.test_admin_bindings import PREVIEW, change_url, editor_data, staff
from tests.factories import BindingFactory, OrderFactory
from zns_notify.models import Binding
from zns_notify.sms.providers import locmem

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_on(settings):
    """The locmem SMS provider at 850 VND a segment, diacritics stripped (the default)."""
    base = {k: v for k, v in settings.ZNS_NOTIFY.items() if not k.startswith("SMS_")}
    settings.ZNS_NOTIFY = {**base, "SMS_PROVIDER": "locmem", "SMS_COST_PER_SEGMENT": 850}
    locmem.reset()
    yield settings
    locmem.reset()


def sms_data(
    binding: Binding,
    *,
    text: str,
    enabled: bool = True,
    window: int | str = 5,
    triggers=("not_on_zalo", "refused"),
) -> dict:
    data = editor_data(binding)
    data.update(
        {
            "sms_text": text,
            "sms_window_minutes": window,
            "sms_triggers": list(triggers),
            "sms_triggers__shown": "1",
        }
    )
    if enabled:
        data["sms_enabled"] = "on"
    return data


def test_the_page_has_the_sms_fieldset_with_labelled_trigger_checkboxes(admin_client):
    binding = BindingFactory(sms_text="Don {{ order_code }}")
    page = admin_client.get(change_url(binding)).content.decode()
    assert "SMS fallback" in page
    assert '<textarea name="sms_text"' in page and "Don {{ order_code }}" in page
    assert 'name="sms_window_minutes"' in page
    # One checkbox per trigger, named by what Zalo answered; the defaults are checked.
    assert page.count('name="sms_triggers"') == 6
    assert "Not on Zalo or cannot receive ZNS" in page
    assert 'value="not_on_zalo" id="id_sms_triggers_0" checked' in page
    assert 'value="template" id="id_sms_triggers_2"' in page
    assert 'value="template" id="id_sms_triggers_2" checked' not in page
    assert "within the window" in page  # the help says what happens without a checked box


def test_saving_the_sms_fields(admin_client, sms_on):
    binding = BindingFactory()
    text = "Đơn hàng {{ order_code }} đã giao. Cảm ơn {{ params.customer_name }}!"
    response = admin_client.post(
        change_url(binding),
        sms_data(binding, text=text, window=15, triggers=["refused", "not_on_zalo"]),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    binding.refresh_from_db()
    assert binding.sms_enabled is True
    assert binding.sms_text == text
    assert binding.sms_window_minutes == 15
    assert binding.sms_triggers == ["not_on_zalo", "refused"]  # in the choices' order


def test_no_box_checked_means_no_trigger(admin_client, sms_on):
    binding = BindingFactory()
    response = admin_client.post(change_url(binding), sms_data(binding, text="Don", triggers=()))
    assert response.status_code == 302
    binding.refresh_from_db()
    assert binding.sms_triggers == []


def test_a_post_without_the_sms_fields_keeps_the_triggers_and_window(admin_client):
    binding = BindingFactory(sms_window_minutes=30, sms_triggers=["refused"])
    response = admin_client.post(change_url(binding), editor_data(binding))
    assert response.status_code == 302, response.content.decode()[:3000]
    binding.refresh_from_db()
    assert binding.sms_triggers == ["refused"] and binding.sms_window_minutes == 30


def test_turning_the_fallback_on_without_a_provider_is_refused_beside_the_checkbox(admin_client):
    binding = BindingFactory()
    response = admin_client.post(change_url(binding), sms_data(binding, text="Don"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "No SMS provider is configured" in " ".join(errors["sms_enabled"])
    binding.refresh_from_db()
    assert binding.sms_enabled is False and binding.sms_text == ""  # nothing saved


def test_a_text_over_the_segment_limit_is_refused_beside_the_text(admin_client, sms_on):
    binding = BindingFactory()
    long_text = "Xin chao " * 60  # 540 GSM-7 characters: 4 segments, the limit is 3
    response = admin_client.post(change_url(binding), sms_data(binding, text=long_text))
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors["sms_text"])
    assert "4 segments" in errors
    page = response.content.decode()
    assert page.index("4 segments") > page.index('name="sms_enabled"')  # in the SMS fieldset
    binding.refresh_from_db()
    assert binding.sms_text == ""


def test_an_invalid_template_text_and_an_enabled_empty_text_are_refused(admin_client, sms_on):
    binding = BindingFactory()
    response = admin_client.post(change_url(binding), sms_data(binding, text="Don {% if %}"))
    assert "not a valid template" in " ".join(response.context["adminform"].form.errors["sms_text"])
    response = admin_client.post(change_url(binding), sms_data(binding, text="  "))
    assert "Write the SMS text" in " ".join(response.context["adminform"].form.errors["sms_text"])


def test_a_window_out_of_range_is_refused(admin_client, sms_on):
    binding = BindingFactory()
    response = admin_client.post(change_url(binding), sms_data(binding, text="Don", window=0))
    assert response.context["adminform"].form.errors["sms_window_minutes"]


# -- the preview -----------------------------------------------------------------------------


def preview(client, binding, **data):
    posted = sms_data(binding, text=data.pop("text"), enabled=data.pop("enabled", True))
    posted.update(data)
    return client.post(reverse(PREVIEW), posted)


def test_preview_shows_the_sms_with_sample_data_stripped_and_measured(admin_client, sms_on):
    binding = BindingFactory()
    response = preview(
        admin_client,
        binding,
        text="Đơn hàng {{ order_code }} của {{ params.customer_name }} đã giao.",
    )
    body = response.json()
    sms = body["sms"]
    assert sms["text"] == "Don hang DH000123 cua Nguyen Thi Lan da giao."
    assert sms["encoding"] == "GSM-7" and sms["segments"] == 1
    assert sms["remaining"] == 160 - len(sms["text"])
    assert sms["cost"] == "850" and sms["stripped"] is True and sms["problem"] == ""
    assert "1 segment" in sms["summary"] and "about 850 VND" in sms["summary"]
    assert "Don hang DH000123 cua Nguyen Thi Lan da giao." in body["html"]
    assert body["ok"] is True


def test_preview_with_diacritics_kept_counts_ucs2(admin_client, sms_on, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SMS_STRIP_DIACRITICS": False}
    binding = BindingFactory()
    sms = preview(admin_client, binding, text="Đơn hàng {{ order_code }} đã giao.").json()["sms"]
    assert sms["text"] == "Đơn hàng DH000123 đã giao."
    assert sms["encoding"] == "UCS-2" and sms["remaining"] == 70 - len(sms["text"])


def test_preview_renders_the_sms_against_the_chosen_order(admin_client, sms_on):
    order = OrderFactory(customer_name="Trần Văn Bình")
    binding = BindingFactory()
    sms = preview(
        admin_client,
        binding,
        text="Chao {{ customer_name }}, don {{ order.pk }}",
        zns_preview_order=str(order.pk),
    ).json()["sms"]
    assert sms["text"] == f"Chao Tran Van Binh, don {order.pk}"


def test_preview_flags_a_text_over_the_limit_and_one_that_does_not_render(admin_client, sms_on):
    binding = BindingFactory()
    body = preview(admin_client, binding, text="{{ order_code }} " * 60).json()
    assert "segments" in body["sms"]["problem"] and body["sms"]["segments"] == 4
    assert body["ok"] is False
    body = preview(admin_client, binding, text="Don {{ order_code|nofilter }}").json()
    assert "does not render" in body["sms"]["problem"] and body["sms"]["segments"] is None


def test_preview_without_a_text_has_no_sms(admin_client):
    binding = BindingFactory()
    body = preview(admin_client, binding, text="", enabled=False).json()
    assert body["sms"]["summary"] == "" and body["sms"]["problem"] == ""
    assert "zns-sms-preview" not in body["html"]


def test_preview_masks_the_phone_in_the_sms_without_the_permission(client, sms_on):
    order = OrderFactory(phone="0912 345 678")
    binding = BindingFactory()
    # Rendering a real order needs change_binding; the full number needs view_full_phone.
    client.force_login(staff("view_binding", "change_binding"))
    sms = preview(
        client, binding, text="Goi lai {{ phone }}", zns_preview_order=str(order.pk)
    ).json()["sms"]
    assert "84912345678" not in sms["text"] and "Goi lai" in sms["text"]


def test_duplicate_keeps_the_sms_settings(admin_client):
    binding = BindingFactory(
        sms_text="Don {{ order_code }}", sms_window_minutes=9, sms_triggers=["refused"]
    )
    admin_client.post(
        reverse("admin:zns_notify_binding_changelist"),
        {"action": "duplicate_selected", "_selected_action": [binding.pk]},
    )
    copy = Binding.objects.exclude(pk=binding.pk).get()
    assert (copy.sms_text, copy.sms_window_minutes, copy.sms_triggers) == (
        "Don {{ order_code }}",
        9,
        ["refused"],
    )
