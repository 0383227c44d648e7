"""demo_seed: everything the demo needs, created once, against the sandbox or real Zalo."""

from __future__ import annotations

import socket

import pytest
import responses
from django.contrib.auth import get_user_model

from demo_shop.shop.demo_catalogue import CUSTOMERS, NOT_ON_ZALO_CUSTOMERS, PRODUCTS
from demo_shop.shop.demo_seed import DEMO_BINDINGS, DemoSetupError, ensure_zalo_account, seed_demo
from demo_shop.shop.models import Customer, Order, Product
from zns_notify.account.tokens import store_token_pair
from zns_notify.models import Binding, Message, Template, ZaloAccount
from zns_notify.otp.template import otp_template
from zns_notify.sandbox.catalogue import OTP_TEMPLATE_ID

pytestmark = pytest.mark.django_db


def test_seed_creates_the_whole_demo(sandbox):
    report = seed_demo()
    assert report.sandbox is not None
    assert get_user_model().objects.get(username="admin").check_password("admin")
    assert Product.objects.count() == len(PRODUCTS)
    assert Customer.objects.count() == len(CUSTOMERS) + len(NOT_ON_ZALO_CUSTOMERS)
    assert ZaloAccount.objects.current().is_connected
    # design.md §5's seven enabled templates, and the OTP template the sign-up page sends.
    assert Template.objects.filter(status=Template.Status.ENABLE).count() == 8
    assert otp_template().template.template_id == OTP_TEMPLATE_ID
    assert sorted(Binding.objects.values_list("event", "template__template_id")) == sorted(
        (event, template_id) for event, template_id, _params in DEMO_BINDINGS
    )
    # The delivery stage's notices go under one ZNS Journey token per order.
    assert dict(Binding.objects.values_list("template__template_id", "journey_type")) == {
        "100001": "",
        "100002": "",
        "100003": "token_logistics_7",
        "100004": "token_logistics_7",
    }


def test_seed_twice_creates_nothing_the_second_time(sandbox):
    seed_demo()
    models = (Product, Customer, ZaloAccount, Template, Binding)
    counts = [model.objects.count() for model in models]
    assert seed_demo().created == []
    assert [model.objects.count() for model in models] == counts
    assert sandbox.state.tokens.history()["counts"]["minted"] == 1


def test_a_demo_seeded_before_the_otp_template_gets_it_on_the_next_start(sandbox):
    seed_demo()
    Template.objects.filter(template_id=OTP_TEMPLATE_ID).delete()
    report = seed_demo()
    assert report.created == ["templates (1 created, 0 updated, 8 unchanged, 0 no longer on Zalo)"]
    assert otp_template().template.template_id == OTP_TEMPLATE_ID


def test_seed_keeps_a_binding_the_operator_edited(sandbox):
    seed_demo()
    Binding.objects.filter(event="order_created").update(params={"edited": "yes"})
    seed_demo()
    assert Binding.objects.get(event="order_created").params == {"edited": "yes"}


def test_seed_mints_a_new_pair_when_the_sandbox_forgot_the_stored_one(sandbox):
    # As after restarting the sandbox: its tokens live in memory, ours in the database.
    store_token_pair(access_token="from-an-earlier-sandbox", refresh_token="also-stale")
    seed_demo()
    assert ZaloAccount.objects.current().access_token != "from-an-earlier-sandbox"
    assert ZaloAccount.objects.count() == 1


def test_against_real_zalo_the_account_must_be_connected_first(db):
    with pytest.raises(DemoSetupError, match="zns_tokens set"):
        ensure_zalo_account(sandbox=None)


@responses.activate
def test_a_server_without_sandbox_endpoints_counts_as_real_zalo(db):
    responses.get("http://zalo.test/_sandbox/tracking", status=404, body="Not found")
    with pytest.raises(DemoSetupError, match="zns_tokens set"):
        seed_demo()


def test_a_sandbox_that_is_not_running_is_named_as_such(settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "API_BASE_URL": f"http://127.0.0.1:{port}"}
    with pytest.raises(DemoSetupError, match="zns_sandbox"):
        seed_demo()


def test_bindings_render_every_step_of_an_order_within_zalo_limits(sandbox, make_order):
    seed_demo()
    long_name = "Công Tôn Nữ Thị Hoàng Phương Thảo Nguyên"  # 40 characters
    order = make_order(Order.Status.DELIVERED, customer_name=long_name)
    messages = {m.event: m for m in Message.objects.filter(order_pk=str(order.pk))}
    assert sorted(messages) == ["order_created", "order_delivered", "order_paid", "order_shipped"]
    for message in messages.values():
        assert message.status == Message.Status.QUEUED, message.error_message
        assert set(message.params) == set(message.template.param_specs())
    assert len(messages["order_paid"].params["customer_name"]) == 30
    assert messages["order_paid"].params["payment_method"] == "Thanh toán khi nhận hàng"
    assert messages["order_created"].params["total_amount"] == "116.000"
    assert messages["order_shipped"].params["eta"] == "14/03/2025"


def test_a_template_zalo_disabled_is_reported_instead_of_bound(sandbox):
    sandbox.state.set_template_status("100003", "DISABLE")
    with pytest.raises(DemoSetupError, match="order_shipped .* 100003"):
        seed_demo()
