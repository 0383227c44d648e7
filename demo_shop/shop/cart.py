"""The shopping cart, kept in the session as {product id: quantity}."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Product

SESSION_KEY = "cart"
MAX_QUANTITY = 99


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int

    # Same names as OrderItem's, so one template renders cart lines and order lines.
    @property
    def product_name(self) -> str:
        return self.product.name

    @property
    def unit_price(self) -> int:
        return self.product.price

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity


class Cart:
    def __init__(self, session) -> None:
        self.session = session
        self.quantities: dict[str, int] = dict(session.get(SESSION_KEY, {}))

    def add(self, product: Product, quantity: int = 1) -> None:
        key = str(product.pk)
        self.quantities[key] = min(self.quantities.get(key, 0) + quantity, MAX_QUANTITY)
        self._save()

    def set_quantity(self, product_id: int, quantity: int) -> None:
        key = str(product_id)
        if quantity > 0:
            self.quantities[key] = min(quantity, MAX_QUANTITY)
        else:
            self.quantities.pop(key, None)
        self._save()

    def clear(self) -> None:
        self.quantities = {}
        self._save()

    def lines(self) -> list[CartLine]:
        """The lines still for sale; products withdrawn since they were added drop out."""
        products = Product.objects.filter(pk__in=self.quantities, is_available=True)
        return [CartLine(product, self.quantities[str(product.pk)]) for product in products]

    def total(self, lines: list[CartLine] | None = None) -> int:
        return sum(line.line_total for line in (self.lines() if lines is None else lines))

    def __len__(self) -> int:
        return sum(self.quantities.values())

    def _save(self) -> None:
        self.session[SESSION_KEY] = self.quantities
        self.session.modified = True
