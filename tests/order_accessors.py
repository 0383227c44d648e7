"""Host-side functions that ZNS_NOTIFY's ORDER_* keys name by dotted path in
tests/rendering/test_order_accessors.py, as a shop's ``shop/utils.py`` would hold them."""


def order_phone(order):
    return order.customer.phone if order.customer else order.phone


def order_code(order):
    return f"#{order.code}"


#: Importable but not callable: a string naming it is read as an attribute path.
NOT_CALLABLE = "0912 345 678"
