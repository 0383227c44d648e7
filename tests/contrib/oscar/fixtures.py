"""Fixtures of the Oscar shop's tests: the sandbox and its live webhook receiver
(tests/integration's), the page's queue, the shop's catalogue, bindings of the sandbox's
templates, and orders placed through Oscar's own ``OrderCreator``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.brokers import get_broker
from django_q.signing import SignedPackage
from oscar.apps.shipping.methods import FixedPrice
from oscar.core.loading import get_class, get_model
from oscar.test.factories import (
    BenefitFactory,
    ConditionalOfferFactory,
    ConditionFactory,
    RangeFactory,
    create_product,
)

from tests.integration.conftest import (  # noqa: F401  (fixtures, by name)
    connected,
    sandbox,
    tracking_counts,
    wait_until,
)
from zns_notify.bindings.template_sync import sync_templates
from zns_notify.models import Binding, Message, Template

Basket = get_model("basket", "Basket")
Benefit = get_model("offer", "Benefit")
BillingAddress = get_model("order", "BillingAddress")
ConditionalOffer = get_model("offer", "ConditionalOffer")
Country = get_model("address", "Country")
ShippingAddress = get_model("order", "ShippingAddress")
Voucher = get_model("voucher", "Voucher")
Applicator = get_class("offer.applicator", "Applicator")
OrderCreator = get_class("order.utils", "OrderCreator")
OrderTotalCalculator = get_class("checkout.calculators", "OrderTotalCalculator")
Selector = get_class("partner.strategy", "Selector")

CUSTOMER = "{{ customer_name|zns_truncate:30 }}"
#: A binding per event, on the sandbox's templates (zns_notify/sandbox/catalogue.py). The
#: order_created one reads what exists only once Oscar has written the lines and discounts.
BINDINGS = {
    "order_created": (
        "100001",
        {
            "customer_name": CUSTOMER,
            "order_code": "{{ order_code }}",
            "order_date": "{{ order.num_lines }} dòng",
            "total_amount": (
                "{{ order.total_incl_tax|vnd }} (-{{ order.total_discount_incl_tax|vnd }})"
            ),
        },
    ),
    "order_paid": (
        "100002",
        {
            "customer_name": CUSTOMER,
            "order_code": "{{ order_code }}",
            "amount": "{{ order.total_incl_tax|vnd }}",
            "paid_at": "{{ now|zns_datetime }}",
            "payment_method": "{{ payment_method|default:'-' }}",
        },
    ),
    "order_shipped": (
        "100003",
        {
            "customer_name": CUSTOMER,
            "order_code": "{{ order_code }}",
            "carrier": "{{ carrier|zns_truncate:30 }}",
            "tracking_code": "{{ tracking_code|default:'-' }}",
            "eta": "Trong 3-5 ngày",
        },
    ),
    "order_delivered": (
        "100004",
        {
            "customer_name": CUSTOMER,
            "order_code": "{{ order_code }}",
            "delivered_at": "{{ now|zns_datetime }}",
        },
    ),
}


@pytest.fixture
def queue_broker(transactional_db):
    """The page's queue, empty: zns_notify's outbox broker (``Q_CLUSTER``'s
    ``broker_class``) on the test database, on both passes (tests/integration's fixture of
    this name switches to Redis on PostgreSQL; the page configures no Redis)."""
    broker = get_broker()
    assert type(broker).__module__ + "." + type(broker).__name__ == "zns_notify.broker.OutboxORM"
    broker.purge_queue()
    yield broker
    broker.purge_queue()


def run_cluster_polls() -> int:
    """What a qcluster does with the page's broker until it has nothing to hand out: poll
    it (``dequeue``: the outbox relay leases due messages and hands them out as send
    tasks, with the ORM broker's own tasks), run each signed task as a worker does, and
    acknowledge it as the monitor does. Returns how many tasks ran."""
    broker = get_broker()
    ran = 0
    while tasks := broker.dequeue():  # None after one poll interval with nothing due
        for task_id, payload in tasks:
            task = SignedPackage.loads(payload)
            import_string(task["func"])(*task["args"], **task["kwargs"])
            broker.acknowledge(task_id)
            ran += 1
    return ran


@pytest.fixture
def bindings(connected):  # noqa: F811  (the imported fixture, by name)
    """The sandbox's templates, synced, and one active binding per order event."""
    sync_templates()
    made = {}
    for event, (template_id, params) in BINDINGS.items():
        template = Template.objects.get(template_id=template_id)
        binding = Binding(name=f"{template.name} (Oscar)", event=event, template=template)
        binding.params = params
        binding.full_clean()
        binding.save()
        made[event] = binding
    return made


@dataclass
class Catalogue:
    shirt: object
    hat: object
    vietnam: object


@pytest.fixture
def catalogue(db):
    vietnam = Country.objects.create(
        iso_3166_1_a2="VN", iso_3166_1_a3="VNM", iso_3166_1_numeric="704",
        printable_name="Việt Nam", name="Cộng hòa Xã hội chủ nghĩa Việt Nam",
        is_shipping_country=True,
    )  # fmt: skip
    shirt = create_product(title="Áo thun", price=Decimal("150000"), num_in_stock=100)
    hat = create_product(title="Mũ lưỡi trai", price=Decimal("80000"), num_in_stock=100)
    return Catalogue(shirt=shirt, hat=hat, vietnam=vietnam)


@pytest.fixture
def voucher(db):
    """GIAM20K: 20,000 VND off any basket, through Oscar's offers."""
    everything = RangeFactory(includes_all_products=True)
    offer = ConditionalOfferFactory(
        offer_type=ConditionalOffer.VOUCHER,
        benefit=BenefitFactory(type=Benefit.FIXED, value=Decimal("20000"), range=everything),
        condition=ConditionFactory(value=1, range=everything),
    )
    now = timezone.now()
    made = Voucher.objects.create(
        name="Giảm 20K",
        code="GIAM20K",
        usage=Voucher.MULTI_USE,
        start_datetime=now - dt.timedelta(days=1),
        end_datetime=now + dt.timedelta(days=1),
    )
    made.offers.add(offer)
    return made


def ghn() -> FixedPrice:
    method = FixedPrice(charge_excl_tax=Decimal("30000"), charge_incl_tax=Decimal("30000"))
    method.code, method.name = "ghn", "Giao Hàng Nhanh"
    return method


def address(model, catalogue: Catalogue, name=("Lê Hoàng", "Nam"), **fields):
    first, last = name
    values = {"line1": "12 Tràng Tiền", "line4": "Hà Nội", "postcode": "100000", **fields}
    return model.objects.create(
        first_name=first, last_name=last, country=catalogue.vietnam, **values
    )


def place_order(catalogue: Catalogue, *, lines=None, voucher=None, user=None, phone="0912 345 678",
                shipping=True, billing=False, **order_fields):  # fmt: skip
    """An order placed as Oscar's checkout places it: a basket with its lines (and a
    voucher) and offers applied, then ``OrderCreator.place_order``."""
    basket = Basket.objects.create(owner=user)
    user = user or AnonymousUser()  # as a checkout's request.user: a guest is anonymous
    basket.strategy = Selector().strategy(user=user)
    for product, quantity in lines or [(catalogue.shirt, 2), (catalogue.hat, 1)]:
        basket.add_product(product, quantity)
    if voucher is not None:
        basket.vouchers.add(voucher)
    Applicator().apply(basket, user)
    shipping_address = billing_address = None
    if shipping:
        shipping_address = address(ShippingAddress, catalogue, phone_number=phone)
    if billing:
        billing_address = address(BillingAddress, catalogue, name=("Trần", "Thu"))
    method = ghn()
    charge = method.calculate(basket)
    order = OrderCreator().place_order(
        basket=basket,
        total=OrderTotalCalculator().calculate(basket, charge),
        shipping_method=method,
        shipping_charge=charge,
        user=user,
        shipping_address=shipping_address,
        billing_address=billing_address,
        **order_fields,
    )
    basket.submit()
    return order


def deliver(server, events: list[str]) -> dict[str, object]:
    """Send what is queued, through the sandbox, and wait for its signed receipts: exactly
    one message per event of ``events``, each accepted once by the sandbox and delivered
    by its webhook. Returns the messages by event."""

    assert run_cluster_polls() > 0

    def delivered():
        run_cluster_polls()  # a retry comes due, as the cluster would keep polling
        return Message.objects.filter(status=Message.Status.DELIVERED).count() == len(events)

    rows = lambda: list(Message.objects.values_list("event", "status", "error_message"))  # noqa: E731
    assert wait_until(delivered), rows()
    messages = {m.event: m for m in Message.objects.all()}
    assert sorted(m.event for m in Message.objects.all()) == sorted(events), rows()
    counts = tracking_counts(server)
    assert {counts[m.idempotency_key] for m in messages.values()} == {1}, counts
    return messages
