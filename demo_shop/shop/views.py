"""Storefront: catalogue, session cart, checkout and the order confirmation page (the
sign-up page is in signup.py)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .cart import Cart
from .forms import AddToCartForm, CartLineForm, CheckoutForm
from .models import Order, Product
from .orders import place_order
from .signup import signed_in_customer

# Order codes placed from this session: the confirmation page shows only those, so
# customers cannot read each other's orders by guessing codes.
PLACED_ORDERS_KEY = "placed_orders"


@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    products = Product.objects.filter(is_available=True)
    context = {"products": products, "cart": Cart(request.session)}
    return render(request, "shop/product_list.html", context)


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a quantity between 1 and 99."))
        return redirect("shop:product_list")
    product = get_object_or_404(Product, pk=form.cleaned_data["product_id"], is_available=True)
    Cart(request.session).add(product, form.cleaned_data["quantity"])
    messages.success(request, _("Added %(product)s to your cart.") % {"product": product.name})
    return redirect("shop:product_list")


@require_http_methods(["GET", "POST"])
def cart_detail(request: HttpRequest) -> HttpResponse:
    cart = Cart(request.session)
    if request.method == "POST":
        form = CartLineForm(request.POST)
        if form.is_valid():
            cart.set_quantity(form.cleaned_data["product_id"], form.cleaned_data["quantity"])
        else:
            messages.error(request, _("Choose a quantity between 0 and 99."))
        return redirect("shop:cart")
    lines = cart.lines()
    context = {"lines": lines, "total": cart.total(lines), "cart": cart}
    return render(request, "shop/cart.html", context)


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    cart = Cart(request.session)
    lines = cart.lines()
    if not lines:
        messages.error(request, _("Your cart is empty. Add a product before checking out."))
        return redirect("shop:product_list")
    customer = signed_in_customer(request)
    # A signed-up customer's name and verified number, which they may still change.
    initial = {"customer_name": customer.full_name, "phone": customer.phone} if customer else {}
    form = CheckoutForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        order = place_order(lines, customer=customer, **form.cleaned_data)
        cart.clear()
        placed = request.session.get(PLACED_ORDERS_KEY, [])
        request.session[PLACED_ORDERS_KEY] = [*placed, order.code]
        return redirect("shop:order_confirmation", code=order.code)
    context = {"form": form, "lines": lines, "total": cart.total(lines), "cart": cart}
    return render(request, "shop/checkout.html", context)


@require_GET
def order_confirmation(request: HttpRequest, code: str) -> HttpResponse:
    if code not in request.session.get(PLACED_ORDERS_KEY, []):
        raise Http404("No order with this code was placed from this browser.")
    order = get_object_or_404(Order.objects.prefetch_related("items"), code=code)
    context = {"order": order, "cart": Cart(request.session)}
    return render(request, "shop/order_confirmation.html", context)
