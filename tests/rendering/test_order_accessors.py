"""ORDER_PHONE / ORDER_CUSTOMER_NAME / ORDER_CODE: an attribute path, a callable, or the
dotted import path of a callable (docs/settings.md states the rule), read through one
function (zns_notify.rendering.order_data.resolve), and `manage.py check` names a value that is none
of them (zns_notify.E007)."""

from __future__ import annotations

import importlib
import sys
import textwrap

import pytest

from demo_shop.shop.models import Customer, Order
from tests.factories import BindingFactory, OrderFactory
from zns_notify.checks import check_settings
from zns_notify.models import Message
from zns_notify.rendering.order_data import _module, read_order, resolve


def accessors(settings, **values):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, **values}


@pytest.fixture
def host_module(tmp_path, monkeypatch):
    """Write a top-level module (``customer.py``…) the way a host project has apps."""

    written = []

    def write(name: str, source: str) -> None:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        written.append(name)
        importlib.invalidate_caches()

    # The module lookup is cached (zns_notify.rendering.order_data._module): start and end clean, so
    # no test sees another's "customer" module or its absence.
    _module.cache_clear()
    monkeypatch.syspath_prepend(str(tmp_path))
    yield write
    for name in written:
        sys.modules.pop(name, None)
    _module.cache_clear()


# -- reading the order ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_callable_is_called_with_the_order(settings):
    BindingFactory(event="order_created")
    accessors(
        settings,
        ORDER_PHONE=lambda order: "0987 654 321",
        ORDER_CUSTOMER_NAME=lambda order: order.customer_name.upper(),
    )
    OrderFactory(customer_name="Lan")
    message = Message.objects.get()
    assert message.status == Message.Status.QUEUED, message.error_message
    assert message.phone == "84987654321"
    assert message.params["customer_name"] == "LAN"


@pytest.mark.django_db
def test_a_dotted_path_to_a_callable_is_imported_and_called(settings):
    BindingFactory(event="order_created")
    accessors(
        settings,
        ORDER_PHONE="tests.order_accessors.order_phone",
        ORDER_CODE="tests.order_accessors.order_code",
    )
    customer = Customer.objects.create(full_name="Lan", phone="0987 654 321")
    order = OrderFactory(customer=customer, phone="0912 345 678")
    message = Message.objects.get()
    assert message.status == Message.Status.QUEUED, message.error_message
    assert message.phone == "84987654321"
    assert message.order_ref == f"#{order.code}"


@pytest.mark.django_db
def test_an_attribute_path_follows_relations(settings):
    accessors(settings, ORDER_PHONE="customer.phone")
    customer = Customer.objects.create(full_name="Lan", phone="0987 654 321")
    assert read_order(OrderFactory(customer=customer)).raw_phone == "0987 654 321"
    assert read_order(OrderFactory(customer=None)).raw_phone == ""  # a None on the way


def test_an_importable_name_that_is_not_callable_is_an_attribute_path():
    order = Order(phone="0912 345 678")
    with pytest.raises(AttributeError, match="'tests'"):
        resolve(order, "tests.order_accessors.NOT_CALLABLE")


def test_a_module_named_like_the_first_attribute_does_not_hide_the_path(host_module):
    host_module("customer", "PHONE_LABEL = 'phone'\n")  # an app called "customer"
    order = Order(customer=Customer(full_name="Lan", phone="0987 654 321"))
    assert resolve(order, "customer.phone") == "0987 654 321"


def test_a_callable_in_that_module_wins_as_documented(host_module):
    host_module("customer", "def phone(order):\n    return 'from the function'\n")
    order = Order(customer=Customer(full_name="Lan", phone="0987 654 321"))
    assert resolve(order, "customer.phone") == "from the function"


def test_a_module_that_fails_to_import_is_reported_not_taken_for_a_path(host_module):
    host_module("brokenhelpers", "import no_such_dependency\ndef phone(order): ...\n")
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency"):
        resolve(Order(), "brokenhelpers.phone")


def test_a_method_at_the_end_of_the_path_is_called():
    assert resolve(Order(status="paid"), "get_status_display") == "Paid"


@pytest.mark.django_db
def test_a_callable_that_raises_fails_the_message_naming_the_setting(settings):
    BindingFactory(event="order_created")

    def explode(order):
        raise LookupError("no phone on file")

    accessors(settings, ORDER_PHONE=explode)
    OrderFactory()
    message = Message.objects.get()
    assert message.status == Message.Status.FAILED
    assert message.error_category == "config"
    assert 'ZNS_NOTIFY["ORDER_PHONE"]' in message.error_message
    assert "no phone on file" in message.error_message


# -- manage.py check -----------------------------------------------------------------------


def e007(settings) -> list[str]:
    return [p.msg for p in check_settings() if p.id == "zns_notify.E007"]


@pytest.mark.parametrize(
    "value",
    [
        "phone",
        "customer.phone",  # through a foreign key to another model's field
        "customer.full_name.upper",  # past a plain value: not checkable, accepted
        "created_at.year",
        "get_status_display",  # a method of the model
        "pk",
        "tests.order_accessors.order_phone",
        lambda order: order.phone,
        str,
    ],
)
def test_check_accepts_paths_callables_and_callable_paths(settings, value):
    accessors(settings, ORDER_PHONE=value)
    assert e007(settings) == []


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("shipping_phone", "shop.Order has no field or attribute 'shipping_phone'"),
        ("customer.mobile", "shop.Customer has no field or attribute 'mobile'"),
        ("tests.order_accessors.NOT_CALLABLE", "has no field or attribute 'tests'"),
        ("tests.order_accessors.nope", "tests.order_accessors has no callable 'nope'"),
        ("", "it has an empty name"),
        (42, "not a string or a callable"),
        ({"phone": 1}, "not a string or a callable"),
    ],
)
def test_check_reports_a_value_that_is_neither(settings, value, says):
    accessors(settings, ORDER_PHONE=value)
    [problem] = e007(settings)
    assert 'ZNS_NOTIFY["ORDER_PHONE"]' in problem and says in problem


def test_check_reports_a_callable_path_whose_module_fails_to_import(settings, host_module):
    host_module("brokenhelpers", "import no_such_dependency\ndef phone(order): ...\n")
    accessors(settings, ORDER_CODE="brokenhelpers.phone")
    [problem] = e007(settings)
    assert 'ZNS_NOTIFY["ORDER_CODE"]' in problem and "no_such_dependency" in problem


def test_check_names_each_key(settings):
    accessors(settings, ORDER_PHONE="a", ORDER_CUSTOMER_NAME="b", ORDER_CODE="c")
    assert [msg.split("]")[0] for msg in e007(settings)] == [
        'ZNS_NOTIFY["ORDER_PHONE"',
        'ZNS_NOTIFY["ORDER_CUSTOMER_NAME"',
        'ZNS_NOTIFY["ORDER_CODE"',
    ]


def test_without_an_order_model_only_the_types_are_checked(settings):
    accessors(settings, ORDER_MODEL=None, ORDER_PHONE="anything.at_all", ORDER_CODE=7)
    assert len(e007(settings)) == 1 and "ORDER_CODE" in e007(settings)[0]


def test_the_defaults_are_checked_against_the_order_model(settings):
    values = {k: v for k, v in settings.ZNS_NOTIFY.items() if k != "ORDER_CUSTOMER_NAME"}
    settings.ZNS_NOTIFY = {**values, "ORDER_MODEL": "auth.User"}
    # auth.User has neither "phone", "customer_name" nor "code": every message would fail.
    assert len(e007(settings)) == 3


@pytest.mark.parametrize("value", ["", "customer..phone", ".phone", "phone."])
def test_without_an_order_model_an_empty_name_in_the_path_is_still_reported(settings, value):
    """No ORDER_MODEL to check the names on, but an empty one can never be read: every
    message would fail with category config."""
    accessors(settings, ORDER_MODEL=None, ORDER_PHONE=value)
    [problem] = e007(settings)
    assert 'ZNS_NOTIFY["ORDER_PHONE"]' in problem and "empty name" in problem
