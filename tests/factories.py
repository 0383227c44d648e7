"""factory-boy factories for zns_notify models and the demo shop's Order."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from demo_shop.shop.models import Order
from zns_notify.models import Binding, Message, Template, ZaloAccount

ORDER_CREATED_PARAMS = [
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
        "name": "total_amount",
        "require": True,
        "type": "STRING",
        "max_length": 20,
        "min_length": 0,
        "accept_null": False,
    },
]


class ZaloAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ZaloAccount

    oa_id = "2718281828459045235"
    name = "Cửa hàng Test"
    access_token = factory.Sequence(lambda n: f"access-{n}")
    refresh_token = factory.Sequence(lambda n: f"refresh-{n}")
    access_token_expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=25))
    refresh_token_expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=90))


class TemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Template
        django_get_or_create = ["template_id"]

    template_id = factory.Sequence(lambda n: str(200000 + n))
    name = "Xác nhận đơn hàng"
    status = Template.Status.ENABLE
    tag = "TRANSACTION"
    params = factory.LazyFunction(lambda: [dict(p) for p in ORDER_CREATED_PARAMS])


class BindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Binding

    event = "order_created"
    template = factory.SubFactory(TemplateFactory)
    params = factory.LazyFunction(
        lambda: {
            "customer_name": "{{ customer_name }}",
            "order_code": "{{ order_code }}",
            "total_amount": "{{ order.total|vnd }} đ",
        }
    )
    is_active = True


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    customer_name = "Nguyễn Thị Lan"
    phone = "0912 345 678"
    total = 1250000
    status = Order.Status.NEW


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    idempotency_key = factory.Sequence(lambda n: f"zns{n:040d}")
    event = "order_created"
    template = factory.SubFactory(TemplateFactory)
    zalo_template_id = factory.SelfAttribute("template.template_id")
    order_type = "shop.order"
    order_pk = "1"
    order_ref = "DH000001"
    phone = "84912345678"
    params = factory.LazyFunction(
        lambda: {"customer_name": "Lan", "order_code": "DH000001", "total_amount": "1.000"}
    )
