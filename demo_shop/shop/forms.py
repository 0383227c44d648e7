"""Storefront forms."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .cart import MAX_QUANTITY
from .models import Order

# What people type for a phone number: digits, spaces, dots, dashes, brackets, a leading +.
PHONE_CHARACTERS = re.compile(r"^\+?[\d\s.\-()]+$")
PHONE_DIGITS = (9, 15)


def validate_phone_format(value: str) -> None:
    """Reject what cannot be a phone number; keep the rest exactly as typed.

    Only the format is checked here. Whether the number is a Vietnamese mobile on Zalo
    is for zns_notify to decide when it sends (it skips unreachable numbers with a reason).
    """
    digits = sum(character.isdigit() for character in value)
    if not PHONE_CHARACTERS.match(value) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
        raise forms.ValidationError(
            _("Enter a phone number such as 0912 345 678."), code="invalid_phone"
        )


class CheckoutForm(forms.Form):
    customer_name = forms.CharField(label=_("Full name"), max_length=100)
    phone = forms.CharField(
        label=_("Phone number (Zalo)"),
        max_length=32,
        validators=[validate_phone_format],
        help_text=_("We send your order updates to this number via Zalo."),
    )
    payment_method = forms.ChoiceField(
        label=_("Payment method"),
        choices=Order.PaymentMethod.choices,
        initial=Order.PaymentMethod.COD,
        widget=forms.RadioSelect,
    )


class AddToCartForm(forms.Form):
    product_id = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(min_value=1, max_value=MAX_QUANTITY, initial=1)


class CartLineForm(forms.Form):
    product_id = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(min_value=0, max_value=MAX_QUANTITY)


class SignUpForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=100)
    phone = forms.CharField(
        label=_("Phone number (Zalo)"),
        max_length=32,
        validators=[validate_phone_format],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=_(
            "We send a one-time code to this number via Zalo, or by SMS if you are not on Zalo."
        ),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        # Zalo's OTP parameter holds 10 characters at most; a longer entry is a typo.
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
