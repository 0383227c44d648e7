"""The sign-up page: a customer proves a phone number with a one-time code
(zns_notify.otp, docs/otp.md), and is signed up and signed in.

1. ``/signup/``: name and phone; ``request_code(phone, "sign_up", client_ip=…)`` sends
   the code, over Zalo or, when Zalo cannot reach the phone, by SMS.
2. ``/signup/code/``: the code; ``verify_code`` checks it, and the customer is the one
   ``Customer`` of that verified number (created, or found and renamed), signed in for
   the session.

Every refusal is said on the page with what the customer can do about it: wait (how
long), try again (how many tries are left), ask for a new code. The session keeps the
name and the number waiting for their code, never the code.
"""

from __future__ import annotations

import logging
import math
from typing import NamedTuple
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError, ZnsInvalidPhone
from zns_notify.lib.phones import normalize_phone
from zns_notify.otp import CodeVerified, OtpRefused, Refusal, request_code, verify_code

from .cart import Cart
from .demo_catalogue import NOT_ON_ZALO_CUSTOMERS
from .forms import CodeForm, SignUpForm
from .models import Customer

logger = logging.getLogger(__name__)

#: The purpose of the codes this page asks for (one of ``OTP_PURPOSES``).
SIGN_UP = "sign_up"
#: Session keys: the sign-up waiting for its code; the signed-in customer.
PENDING_KEY = "signup"
CUSTOMER_KEY = "customer_id"
CUSTOMER_NAME_KEY = "customer_name"
#: The demo's customer Zalo cannot reach: the sandbox answers -118 for the number, and
#: the code goes out by SMS.
NOT_ON_ZALO_PHONE = NOT_ON_ZALO_CUSTOMERS[0][1]
_LOOPBACK = ("http://127.0.0.1:", "http://localhost:", "http://[::1]:")


class Problem(NamedTuple):
    """Why no code was sent, for the customer; ``field``: the form field it is about."""

    text: str
    field: str | None = None


def client_ip(request: HttpRequest) -> str | None:
    # The demo serves customers directly: the peer's address is theirs. Behind a proxy,
    # pass the address the proxy reports instead (docs/otp.md).
    return request.META.get("REMOTE_ADDR") or None


def _wait(seconds: int) -> str:
    if seconds < 120:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def refusal_text(refusal: OtpRefused) -> str:
    """zns_notify's words for the refusal, and what the customer can do: how long to wait,
    or, for a wrong code, where to look (never how many tries are left: that would tell
    anyone typing codes for a number whether a sign-up is going on for it)."""
    parts = [refusal.message]
    if refusal.retry_after is not None:
        wait = _wait(refusal.retry_after)
        parts.append(_("You can ask for a new code in %(wait)s.") % {"wait": wait})
    if refusal.code == Refusal.INVALID_CODE:
        parts.append(_("Check the code in the latest message, or ask for a new one."))
    return " ".join(parts)


def _send_code(request: HttpRequest, phone: str) -> Problem | None:
    """Send a sign-up code to ``phone``: None when it is on its way."""
    try:
        request_code(phone, SIGN_UP, client_ip=client_ip(request))
    except OtpRefused as refusal:
        return Problem(
            refusal_text(refusal), "phone" if refusal.code == Refusal.INVALID_PHONE else None
        )
    except ZnsConfigurationError:
        # The operator's log names the setting to fix; the customer only learns to wait.
        logger.exception("demo_shop: a sign-up code was asked for and cannot be sent")
        return Problem(_("Codes cannot be sent right now. Please try again later."))
    return None


def on_sandbox() -> bool:
    """The shop talks to the sandbox on this machine (the demo), not to Zalo."""
    return app_settings.API_BASE_URL.startswith(_LOOPBACK)


def sandbox_phone_url(phone: str) -> str | None:
    """The sandbox's page of ``phone`` (what its owner's phone shows); None against real
    Zalo."""
    if not on_sandbox():
        return None
    try:
        query = urlencode({"phone": normalize_phone(phone)})
    except ZnsInvalidPhone:
        return None
    return f"{app_settings.API_BASE_URL.rstrip('/')}/_sandbox/phone?{query}"


def _context(request: HttpRequest, **extra: object) -> dict[str, object]:
    return {
        "cart": Cart(request.session),
        "on_sandbox": on_sandbox(),
        "not_on_zalo_phone": NOT_ON_ZALO_PHONE,
        **extra,
    }


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None, initial=request.session.get(PENDING_KEY))
    if request.method == "POST" and form.is_valid():
        problem = _send_code(request, form.cleaned_data["phone"])
        if problem is None:
            request.session[PENDING_KEY] = form.cleaned_data
            return redirect("shop:signup_code")
        form.add_error(problem.field, problem.text)
    return render(request, "shop/signup.html", _context(request, form=form))


@require_http_methods(["GET", "POST"])
def signup_code(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return redirect("shop:signup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verified = verify_code(
                pending["phone"], SIGN_UP, form.cleaned_data["code"], client_ip=client_ip(request)
            )
        except OtpRefused as refusal:
            form.add_error("code", refusal_text(refusal))
        else:
            customer = _sign_in(request, pending, verified)
            messages.success(
                request,
                _("Welcome, %(name)s! Your phone number is verified.")
                % {"name": customer.full_name},
            )
            return redirect("shop:product_list")
    context = _context(
        request,
        form=form,
        phone=pending["phone"],
        minutes=max(1, app_settings.OTP_TTL // 60),
        phone_url=sandbox_phone_url(pending["phone"]),
    )
    return render(request, "shop/signup_code.html", context)


@require_POST
def signup_resend(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return redirect("shop:signup")
    problem = _send_code(request, pending["phone"])
    if problem is None:
        messages.success(request, _("We sent a new code to %(phone)s.") % pending)
    else:
        messages.error(request, problem.text)
    return redirect("shop:signup_code")


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    for key in (CUSTOMER_KEY, CUSTOMER_NAME_KEY, PENDING_KEY):
        request.session.pop(key, None)
    messages.success(request, _("You are signed out."))
    return redirect("shop:product_list")


def _sign_in(request: HttpRequest, pending: dict, verified: CodeVerified) -> Customer:
    """The customer of the verified number, created or renamed, signed in."""
    customer, _created = Customer.objects.update_or_create(
        verified_phone=verified.phone,
        defaults={
            "full_name": pending["full_name"],
            "phone": pending["phone"],
            "verified_at": verified.verified_at,
        },
    )
    # A new session id once signed in: one fixed before sign-up is not the account's.
    request.session.cycle_key()
    request.session.pop(PENDING_KEY, None)
    request.session[CUSTOMER_KEY] = customer.pk
    request.session[CUSTOMER_NAME_KEY] = customer.full_name
    return customer


def signed_in_customer(request: HttpRequest) -> Customer | None:
    customer_id = request.session.get(CUSTOMER_KEY)
    return Customer.objects.filter(pk=customer_id).first() if customer_id else None
