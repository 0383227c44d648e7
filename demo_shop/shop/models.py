"""The shop's catalogue, customers and orders.

Orders move new -> paid -> shipped -> delivered (or to cancelled before shipping) only
through the ``mark_*`` / ``cancel`` methods. Each saves the status change in its own
transaction; zns_notify watches the ``status`` field (settings.ZNS_NOTIFY
["ORDER_STATUS_EVENTS"]) and writes its messages inside that same transaction, so the shop
never calls zns_notify itself.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _


class Product(models.Model):
    name = models.CharField(_("name"), max_length=200)
    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    price = models.PositiveIntegerField(_("price (VND)"))
    is_available = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    full_name = models.CharField(_("full name"), max_length=100)
    phone = models.CharField(
        _("phone"), max_length=32, help_text=_("As the customer typed it, e.g. 0912 345 678.")
    )
    # Set by the sign-up page once the customer typed the one-time code sent to the phone:
    # the number, normalized, is then their account's (one customer per verified number).
    verified_phone = models.CharField(
        _("verified phone"),
        max_length=16,
        unique=True,
        null=True,
        blank=True,
        help_text=_("84…: the number proved with a one-time code at sign-up."),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name


class InvalidTransition(ValueError):
    """The order's current status does not allow the requested step."""


class Order(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        PAID = "paid", _("Paid")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")

    class PaymentMethod(models.TextChoices):
        COD = "cod", _("Cash on delivery")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        E_WALLET = "e_wallet", _("E-wallet (MoMo, ZaloPay)")
        CARD = "card", _("ATM / Visa card")

    # Which status each step may start from; everything else raises InvalidTransition.
    ALLOWED_FROM = {
        Status.PAID: {Status.NEW},
        Status.SHIPPED: {Status.PAID},
        Status.DELIVERED: {Status.SHIPPED},
        Status.CANCELLED: {Status.NEW, Status.PAID},
    }
    CODE_PREFIX = "DH"
    CODE_ATTEMPTS = 3

    code = models.CharField(_("order code"), max_length=20, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("customer"),
        help_text=_("Empty for guest checkouts; name and phone below are kept either way."),
    )
    # Snapshots: what the customer gave for this order, even if their record changes later.
    customer_name = models.CharField(_("customer name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=32)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    total = models.PositiveIntegerField(_("total (VND)"), default=0)
    payment_method = models.CharField(
        _("payment method"),
        max_length=20,
        choices=PaymentMethod.choices,
        default=PaymentMethod.COD,
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # 30 characters: what the ZNS shipping template holds for each (design.md §5), so a
    # value the admin accepts always fits the customer's message.
    carrier = models.CharField(_("carrier"), max_length=30, blank=True)
    tracking_code = models.CharField(_("tracking code"), max_length=30, blank=True)
    eta = models.DateField(_("expected delivery"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs) -> None:
        if self.code:
            super().save(*args, **kwargs)
            return
        # The code must exist before the first INSERT: zns_notify renders the
        # order_created message from that very save. Two checkouts racing for the same
        # code (possible on PostgreSQL; SQLite's IMMEDIATE transactions serialize them)
        # collide on the unique constraint, and the loser takes the next number.
        for attempt in range(1, self.CODE_ATTEMPTS + 1):
            self.code = self.next_code()
            try:
                with transaction.atomic():
                    super().save(*args, **kwargs)
                return
            except IntegrityError:
                self.code = ""
                if attempt == self.CODE_ATTEMPTS:
                    raise

    @classmethod
    def next_code(cls) -> str:
        """DH000001, DH000002, ... one past the highest code so far.

        Codes compare as text, which orders them correctly up to DH999999: plenty for a demo.
        """
        last = (
            cls.objects.filter(code__startswith=cls.CODE_PREFIX)
            .order_by("-code")
            .values_list("code", flat=True)
            .first()
        )
        number = int(last.removeprefix(cls.CODE_PREFIX)) + 1 if last else 1
        return f"{cls.CODE_PREFIX}{number:06d}"

    @property
    def payment_method_label(self) -> str:
        """The payment method as the customer reads it in a Zalo message.

        Always Vietnamese, because the ZNS templates are; the operator who clicks
        "Mark paid" may be browsing the admin in English.
        """
        with translation.override("vi"):
            return str(self.get_payment_method_display())

    # --- status steps -------------------------------------------------------------------

    def mark_paid(self, *, paid_at: dt.datetime | None = None) -> None:
        self.paid_at = paid_at or timezone.now()
        self._move_to(self.Status.PAID, "paid_at")

    def mark_shipped(self, *, carrier: str, tracking_code: str, eta: dt.date) -> None:
        self.carrier, self.tracking_code, self.eta = carrier, tracking_code, eta
        self._move_to(self.Status.SHIPPED, "carrier", "tracking_code", "eta")

    def mark_delivered(self, *, delivered_at: dt.datetime | None = None) -> None:
        self.delivered_at = delivered_at or timezone.now()
        self._move_to(self.Status.DELIVERED, "delivered_at")

    def cancel(self) -> None:
        self._move_to(self.Status.CANCELLED)

    def _move_to(self, status: str, *changed_fields: str) -> None:
        """Save the new status and the fields that go with it, in one transaction.

        The row is locked and its status read from the database, so two operators
        clicking at once cannot both move it (and both trigger a notification).
        """
        with transaction.atomic():
            current = (
                type(self)
                .objects.select_for_update()
                .values_list("status", flat=True)
                .get(pk=self.pk)
            )
            if current not in self.ALLOWED_FROM[status]:
                self.refresh_from_db()
                raise InvalidTransition(
                    _("Order %(code)s is %(current)s; it cannot become %(target)s.")
                    % {
                        "code": self.code,
                        "current": self.Status(current).label,
                        "target": self.Status(status).label,
                    }
                )
            self.status = status
            self.save(update_fields=["status", *changed_fields])


class OrderItem(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="items", verbose_name=_("order")
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )
    # Snapshots, so past orders keep their lines when the catalogue changes.
    product_name = models.CharField(_("product name"), max_length=200)
    unit_price = models.PositiveIntegerField(_("unit price (VND)"))
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_name}"

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity
