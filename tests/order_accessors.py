"""Host-side functions that ZNS_NOTIFY's ORDER_* keys name by dotted path in
tests/rendering/test_order_accessors.py, as a shop's ``shop/utils.py`` would hold them."""


def order_phone(order):
    return order.customer.phone if order.customer else order.phone


def order_code(order):
    return f"#{order.code}"


#: Importable but not callable: a string naming it is read as an attribute path.
NOT_CALLABLE = "0912 345 678"


def picky_note(order):
    """Fails for the orders of 2,000,000 đ or more, naming the customer's number as a
    shop's own error might (the editor must mask it for who may not see numbers)."""
    if order.total >= 2_000_000:
        raise ValueError(f"no gift note for {order.phone}")
    return "Giao giờ hành chính"


def huge_note(order):
    """Past the binding engine's output limit for the orders of 2,000,000 đ or more."""
    return "x" * 5000 if order.total >= 2_000_000 else "Giao giờ hành chính"
