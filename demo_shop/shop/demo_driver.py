"""What ``zns_demo`` does: place demo orders, walk them to delivered, and count the outcome.

The counts come from the database (Message rows) and, against the sandbox, from what the
sandbox itself accepted per tracking_id; never from this module's own bookkeeping.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from zns_notify.models import Message, MessageEvent

from .cart import CartLine
from .demo_catalogue import NOT_ON_ZALO_CUSTOMERS
from .models import Customer, Order, Product
from .orders import place_order
from .sandbox_api import SandboxAPI
from .shipping import CARRIERS, default_eta, tracking_code_for

ACCEPTED = Q(status__in=[Message.Status.SENT, Message.Status.DELIVERED]) | ~Q(msg_id="")
POLL_INTERVAL = 0.5


@dataclass(frozen=True)
class DemoSummary:
    """The fields, in the order of the printed line (design.md §4)."""

    orders: int
    messages: int
    sent: int
    delivered: int
    failed: int
    skipped: int
    pending: int
    duplicates: int

    def line(self) -> str:
        return " ".join(f"{name}={value}" for name, value in asdict(self).items())

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def ok(self) -> bool:
        return self.pending == 0 and self.failed == 0


# --- placing and driving orders -------------------------------------------------------------


def place_demo_orders(count: int, rng: random.Random) -> list[Order]:
    """``count`` orders of seeded customers, 1-3 products each, walked to delivered.

    Each step is its own transaction, as when an operator clicks through the admin.
    """
    # Not the customers Zalo cannot reach: their ZNS messages fail by design (the SMS
    # fallback's showcase, see place_fallback_showcase) and the check counts failures.
    customers = list(Customer.objects.exclude(phone__in=[p for _n, p in NOT_ON_ZALO_CUSTOMERS]))
    products = list(Product.objects.filter(is_available=True))
    if not customers or not products:
        raise ValueError("Seed the demo first: it needs customers and products on sale.")
    orders = []
    for _ in range(count):
        customer = rng.choice(customers)
        lines = [
            CartLine(product, rng.randint(1, 2))
            for product in rng.sample(products, k=min(len(products), rng.randint(1, 3)))
        ]
        order = place_order(
            lines,
            customer=customer,
            customer_name=customer.full_name,
            phone=customer.phone,
            payment_method=rng.choice(Order.PaymentMethod.values),
        )
        deliver_order(order, rng)
        orders.append(order)
    return orders


def deliver_order(order: Order, rng: random.Random) -> None:
    order.mark_paid()
    carrier = rng.choice(list(CARRIERS))
    order.mark_shipped(
        carrier=CARRIERS[carrier],
        tracking_code=tracking_code_for(carrier, order.code),
        eta=default_eta(),
    )
    order.mark_delivered()


def place_fallback_showcase(rng: random.Random | None = None) -> Order | None:
    """One order, walked to delivered, for the first customer Zalo cannot reach, unless
    they have one already: Zalo answers -118 and the shipped and delivered notices go out
    as SMS (the demo's bindings). None when there is nothing to do."""
    name, phone = NOT_ON_ZALO_CUSTOMERS[0]
    customer = Customer.objects.filter(phone=phone).first()
    product = Product.objects.filter(is_available=True).order_by("pk").first()
    if customer is None or product is None or Order.objects.filter(phone=phone).exists():
        return None
    order = place_order(
        [CartLine(product, 1)],
        customer=customer,
        customer_name=name,
        phone=phone,
        payment_method=Order.PaymentMethod.values[0],
    )
    deliver_order(order, rng or random.Random(0))
    return order


# --- waiting and counting ---------------------------------------------------------------------


def messages_of(orders: Sequence[Order]) -> QuerySet[Message]:
    return Message.objects.filter(
        order_type=Order._meta.label_lower, order_pk__in=[str(order.pk) for order in orders]
    )


def wait_until_final(
    messages: QuerySet[Message],
    *,
    timeout: float,
    send_due: Callable[[list[str]], object] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Poll until no message is pending or ``timeout`` seconds pass.

    ``send_due`` (the --inline mode) is called with the keys of queued messages that are
    due, standing in for the qcluster worker.
    """
    deadline = clock() + timeout
    while True:
        pending = messages.exclude(status__in=Message.FINAL_STATUSES)
        if not pending.exists() or clock() >= deadline:
            return
        if send_due is not None:
            due = pending.filter(status=Message.Status.QUEUED).filter(
                Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now())
            )
            keys = list(due.values_list("idempotency_key", flat=True))
            if keys:
                send_due(keys)
                continue
        sleep(POLL_INTERVAL)


def summarize(orders: Sequence[Order], sandbox: SandboxAPI | None) -> DemoSummary:
    messages = messages_of(orders)
    counts = messages.aggregate(
        messages=Count("pk"),
        sent=Count("pk", filter=ACCEPTED),
        delivered=Count("pk", filter=Q(status=Message.Status.DELIVERED)),
        failed=Count("pk", filter=Q(status=Message.Status.FAILED)),
        # Not sent by decision: skipped (opt-out, cap, bad phone) or cancelled (a condition).
        skipped=Count(
            "pk", filter=Q(status__in=[Message.Status.SKIPPED, Message.Status.CANCELLED])
        ),
        pending=Count("pk", filter=~Q(status__in=Message.FINAL_STATUSES)),
    )
    return DemoSummary(orders=len(orders), duplicates=count_duplicates(messages, sandbox), **counts)


def count_duplicates(messages: QuerySet[Message], sandbox: SandboxAPI | None) -> int:
    """Tracking ids of these messages that Zalo accepted more than once.

    The sandbox counts every accepted send per tracking_id. Real Zalo tells nobody, so
    there the database speaks: messages with more than one accepted send attempt.
    """
    keys = list(messages.values_list("idempotency_key", flat=True))
    if sandbox is not None:
        accepted = sandbox.tracking_counts()
        return sum(1 for key in keys if accepted.get(key, 0) > 1)
    return (
        MessageEvent.objects.filter(
            message__idempotency_key__in=keys,
            kind=MessageEvent.Kind.ATTEMPT,
            status__in=[Message.Status.SENT, Message.Status.DELIVERED],
        )
        .values("message")
        .annotate(accepted=Count("pk"))
        .filter(accepted__gt=1)
        .count()
    )
