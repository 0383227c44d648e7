"""Admin for the catalogue, customers and orders, with one action per order step."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Customer, InvalidTransition, Order, OrderItem, Product
from .shipping import CARRIERS, default_eta, tracking_code_for

# The header and the browser tab read the shop's name, in the operator's language (Django's
# own "Django administration" reads "Trang quản trị cho Django" in Vietnamese).
admin.site.site_header = _("Demo shop · Zalo notifications")
admin.site.site_title = _("Demo shop admin")
admin.site.index_title = _("Shop and Zalo notifications")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "sku", "price", "is_available"]
    list_editable = ["price", "is_available"]
    search_fields = ["name", "sku"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["full_name", "phone", "verified_at", "created_at"]
    search_fields = ["full_name", "phone", "verified_phone"]
    readonly_fields = ["verified_phone", "verified_at"]


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    fields = ["product", "product_name", "unit_price", "quantity"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        # Lines are fixed at checkout; the total and the order_created message depend on them.
        return False


class ShipmentForm(forms.Form):
    carrier = forms.ChoiceField(label=_("Carrier"), choices=list(CARRIERS.items()))
    eta = forms.DateField(label=_("Expected delivery"), initial=default_eta)


def _apply_to_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    orders: QuerySet[Order],
    step: Callable[[Order], None],
) -> None:
    """Run one status step per order, each in its own transaction, and report the outcome.

    An order in the wrong state is reported and skipped; the others still move.
    """
    moved = 0
    for order in orders:
        try:
            step(order)
        except InvalidTransition as refusal:
            modeladmin.message_user(request, str(refusal), messages.WARNING)
        else:
            moved += 1
    if moved:
        modeladmin.message_user(
            request,
            ngettext("%(count)d order updated.", "%(count)d orders updated.", moved)
            % {"count": moved},
            messages.SUCCESS,
        )


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["code", "customer_name", "phone", "status", "total", "created_at"]
    list_filter = ["status", "payment_method", "created_at"]
    search_fields = ["code", "customer_name", "phone", "tracking_code"]
    date_hierarchy = "created_at"
    list_select_related = ["customer"]
    inlines = [OrderItemInline]
    # Status and its timestamps change only through the actions, which keep them consistent
    # and are what zns_notify's status watcher turns into messages.
    readonly_fields = ["code", "status", "total", "paid_at", "delivered_at", "created_at"]
    fields = [
        "code",
        "status",
        "customer",
        "customer_name",
        "phone",
        "payment_method",
        "total",
        "paid_at",
        "carrier",
        "tracking_code",
        "eta",
        "delivered_at",
        "created_at",
    ]
    actions = ["mark_paid", "mark_shipped", "mark_delivered", "cancel"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Orders come from checkout (or zns_demo), which also creates their lines.
        return False

    @admin.action(description=_("Mark paid"))
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        _apply_to_each(self, request, queryset, lambda order: order.mark_paid())

    @admin.action(description=_("Mark shipped"))
    def mark_shipped(self, request: HttpRequest, queryset: QuerySet[Order]):
        form = ShipmentForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            # First click, or invalid input: ask for the carrier and the delivery date.
            context = {
                **self.admin_site.each_context(request),
                "title": _("Mark orders shipped"),
                "form": form,
                "orders": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/shop/order/mark_shipped.html", context)
        carrier_prefix, eta = form.cleaned_data["carrier"], form.cleaned_data["eta"]

        def ship(order: Order) -> None:
            order.mark_shipped(
                carrier=CARRIERS[carrier_prefix],
                tracking_code=order.tracking_code or tracking_code_for(carrier_prefix, order.code),
                eta=eta,
            )

        _apply_to_each(self, request, queryset, ship)
        return None

    @admin.action(description=_("Mark delivered"))
    def mark_delivered(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        _apply_to_each(self, request, queryset, lambda order: order.mark_delivered())

    @admin.action(description=_("Cancel"))
    def cancel(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        _apply_to_each(self, request, queryset, lambda order: order.cancel())
