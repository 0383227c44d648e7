"""Idempotent demo seeding, shared by ``rundemo`` and ``zns_demo``.

Creates only what is missing, so it runs on every start: the admin user, the catalogue,
the customers, and the zns_notify side (a connected Zalo account, the templates with the
OTP template of the sign-up page, one binding per core order event, the shipped and
delivered ones under a ZNS Journey token). Against the sandbox
it obtains a token pair itself; against real Zalo the operator connects the OA first
(``zns_tokens set`` or the admin).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from zns_notify.account.tokens import store_token_pair
from zns_notify.bindings.template_sync import sync_templates
from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.models import Binding, Template, ZaloAccount
from zns_notify.otp.template import otp_template
from zns_notify.sandbox.defaults import DEMO_OA_ID, DEMO_OA_NAME
from zns_notify.zalo.client import ZaloAPIError, ZaloClient
from zns_notify.zalo.errors import ErrorAction

from .demo_catalogue import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    CUSTOMERS,
    NOT_ON_ZALO_CUSTOMERS,
    PRODUCTS,
)
from .models import Customer, Product
from .sandbox_api import SandboxAPI, SandboxUnreachable

# Each param of the templates in design.md §5, as a binding expression over zns_notify's
# context {order, customer_name, order_code, phone, ...}. Limits: names and codes 30
# characters, amounts and dates 20. Amounts carry no unit: the template text says "VNĐ".
# Names are free text from checkout, so they are cut to fit; carrier and tracking code
# are limited to 30 on the Order model itself; formatted dates and amounts always fit.
CUSTOMER_AND_CODE = {
    "customer_name": "{{ customer_name|truncatechars:30 }}",
    "order_code": "{{ order_code }}",
}
DEMO_BINDINGS = [
    (
        "order_created",
        "100001",
        {
            **CUSTOMER_AND_CODE,
            "order_date": "{{ order.created_at|zns_datetime }}",
            "total_amount": "{{ order.total|vnd }}",
        },
    ),
    (
        "order_paid",
        "100002",
        {
            **CUSTOMER_AND_CODE,
            "amount": "{{ order.total|vnd }}",
            "paid_at": "{{ order.paid_at|zns_datetime }}",
            "payment_method": "{{ order.payment_method_label }}",
        },
    ),
    (
        "order_shipped",
        "100003",
        {
            **CUSTOMER_AND_CODE,
            "carrier": "{{ order.carrier }}",
            "tracking_code": "{{ order.tracking_code }}",
            "eta": "{{ order.eta|zns_date }}",
        },
    ),
    (
        "order_delivered",
        "100004",
        {**CUSTOMER_AND_CODE, "delivered_at": "{{ order.delivered_at|zns_datetime }}"},
    ),
]


# The SMS fallback of the demo's shipped and delivered bindings: Vietnamese with its
# diacritics, as an operator writes it; SMS_STRIP_DIACRITICS (on by default) sends it
# without them, in GSM-7, one segment. Sent at once when Zalo says the customer is not on
# Zalo or refused, or after the window when no receipt came.
DEMO_SMS = {
    "order_shipped": (
        "DemoShop: Đơn {{ order_code }} đã giao cho {{ order.carrier }}, mã vận đơn "
        "{{ order.tracking_code }}, dự kiến nhận {{ order.eta|zns_date }}."
    ),
    "order_delivered": (
        "DemoShop: Đơn {{ order_code }} đã giao thành công. Cảm ơn "
        "{{ customer_name|truncatechars:30 }} đã mua hàng!"
    ),
}
DEMO_SMS_WINDOW_MINUTES = 5

# The delivery stage's notices go under one ZNS Journey token per order (docs/journeys.md):
# the sandbox declares templates 100003 and 100004 for the logistics token types, so an
# order moved through shipping to delivery pays one token instead of two messages.
DEMO_JOURNEYS = {"order_shipped": "token_logistics_7", "order_delivered": "token_logistics_7"}


class DemoSetupError(Exception):
    """The demo cannot be seeded as configured; the message says what to do."""


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    sandbox: SandboxAPI | None = None

    def __str__(self) -> str:
        return "created " + ", ".join(self.created) if self.created else "nothing to create"


def seed_demo() -> SeedReport:
    """Seed whatever is missing; raise DemoSetupError when the Zalo side cannot be set up."""
    report = SeedReport(sandbox=_detect_sandbox())
    report.created += seed_shop()
    report.created += ensure_zalo_account(report.sandbox)
    report.created += ensure_templates()
    report.created += ensure_bindings()
    return report


def _detect_sandbox() -> SandboxAPI | None:
    try:
        return SandboxAPI.detect(app_settings.API_BASE_URL)
    except SandboxUnreachable as exc:
        raise DemoSetupError(str(exc)) from exc


def seed_shop() -> list[str]:
    """The admin user, the products and the customers, each created once."""
    created = []
    User = get_user_model()
    with transaction.atomic():
        if not User.objects.filter(username=ADMIN_USERNAME).exists():
            User.objects.create_superuser(ADMIN_USERNAME, "", ADMIN_PASSWORD)
            created.append(f"admin user {ADMIN_USERNAME!r}")
        products = sum(
            Product.objects.get_or_create(sku=sku, defaults={"name": name, "price": price})[1]
            for sku, name, price in PRODUCTS
        )
        customers = sum(
            Customer.objects.get_or_create(full_name=name, phone=phone)[1]
            for name, phone in [*CUSTOMERS, *NOT_ON_ZALO_CUSTOMERS]
        )
    if products:
        created.append(f"{products} products")
    if customers:
        created.append(f"{customers} customers")
    return created


def ensure_zalo_account(sandbox: SandboxAPI | None) -> list[str]:
    """A connected account whose token the configured server accepts.

    The sandbox keeps its tokens in memory, so a pair stored during an earlier sandbox
    run is unknown to a new one: then (or when no pair is stored) a fresh pair is minted.
    """
    account = ZaloAccount.objects.current()
    if sandbox is None:
        if account is None or not account.is_connected:
            raise DemoSetupError(
                f"No Zalo account is connected for {app_settings.API_BASE_URL}. Connect the "
                "OA in the admin or run: python manage.py zns_tokens set --access-token A "
                "--refresh-token R"
            )
        return []
    if account is not None and account.is_connected and _accepted(account.access_token):
        return []
    pair = sandbox.mint_token_pair()
    store_token_pair(
        access_token=pair["access_token"],
        refresh_token=pair["refresh_token"],
        expires_in=int(pair["expires_in"]),
        oa_id=DEMO_OA_ID,
        name=DEMO_OA_NAME,
    )
    return ["a sandbox token pair"]


def _accepted(access_token: str) -> bool:
    try:
        ZaloClient.from_settings().quota(access_token=access_token)
    except ZaloAPIError as exc:
        if exc.action == ErrorAction.REFRESH:
            return False
        raise
    return True


def ensure_templates() -> list[str]:
    """Sync from Zalo when a template the demo binds is not known locally yet, or no OTP
    template is, for the sign-up page (a demo database seeded before the sandbox had one
    gets it on its next start)."""
    needed = {template_id for _event, template_id, _params in DEMO_BINDINGS}
    known = set(
        Template.objects.filter(template_id__in=needed).values_list("template_id", flat=True)
    )
    if known == needed and _otp_template_known():
        return []
    report = sync_templates()
    missing = needed - set(Template.objects.values_list("template_id", flat=True))
    if missing:
        raise DemoSetupError(
            f"Zalo has no template {', '.join(sorted(missing))}; the demo bindings need "
            "the template set of design.md §5 (the sandbox ships it)."
        )
    # No OTP template on a real OA is not an error here: the sign-up page says codes
    # cannot be sent, and the log names the setting (OTP_TEMPLATE_ID).
    return [f"templates ({report})"]


def _otp_template_known() -> bool:
    try:
        otp_template()
    except ZnsConfigurationError:
        return False
    return True


def ensure_bindings() -> list[str]:
    """One active binding per core order event; an existing one (maybe edited) is kept."""
    created = 0
    templates = {t.template_id: t for t in Template.objects.all()}
    for event, template_id, params in DEMO_BINDINGS:
        template = templates[template_id]
        if Binding.objects.filter(event=event, template=template).exists():
            continue
        binding = Binding(
            name=f"{template.name} (demo)",
            event=event,
            template=template,
            params=params,
            journey_type=DEMO_JOURNEYS.get(event, ""),
        )
        add_demo_sms(binding)
        try:
            binding.full_clean()  # the expressions must fit the template's synced param specs
        except ValidationError as exc:
            raise DemoSetupError(
                f"The demo binding for {event} does not fit template {template_id}: "
                f"{'; '.join(exc.messages)}"
            ) from exc
        binding.save()
        created += 1
    return [f"{created} bindings"] if created else []


def add_demo_sms(binding: Binding) -> None:
    """The demo's SMS text for the binding's event, switched on when an SMS provider is
    configured (the demo's settings configure the sandbox's eSMS mode); without one the
    text is kept, off, for the operator to see in the editor."""
    from zns_notify import sms

    text = DEMO_SMS.get(binding.event)
    if text is None:
        return
    binding.sms_text = text
    binding.sms_window_minutes = DEMO_SMS_WINDOW_MINUTES
    binding.sms_enabled = sms.is_enabled()
