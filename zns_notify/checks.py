"""System checks: configuration problems reported at startup, each naming the setting.

The app's ``ready()`` imports this module, which registers every system check of
zns_notify: its own below, and by importing them, those of the folders (the API's, the SMS
provider's, the SMS fallback's, ZNS Journey's, the sending's reliability settings, the
policy's recipient cap).
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, router

from zns_notify.api import checks as api_checks  # noqa: F401  (registers its checks)
from zns_notify.bindings.validation import fitness_problems
from zns_notify.conf import app_settings
from zns_notify.conf.app_defaults import conflicts as declared_conflicts
from zns_notify.events.notify import EVENT_NAME
from zns_notify.fallback import checks as fallback_checks  # noqa: F401  (registers its checks)
from zns_notify.journeys import checks as journey_checks  # noqa: F401  (registers its checks)
from zns_notify.models import Binding
from zns_notify.otp import checks as otp_checks  # noqa: F401  (registers its checks)
from zns_notify.policy import checks as policy_checks  # noqa: F401  (registers its checks)
from zns_notify.rendering.order_data import CONTEXT_VARIABLES, ORDER_ACCESSORS, import_target
from zns_notify.sending import checks as sending_checks  # noqa: F401  (registers its checks)
from zns_notify.sms import checks as sms_checks  # noqa: F401  (registers its checks)


@register(Tags.compatibility)
def check_settings(app_configs=None, **kwargs):
    problems = []
    values = getattr(settings, "ZNS_NOTIFY", None) or {}
    for key in ("APP_ID", "APP_SECRET"):
        if not values.get(key):
            problems.append(
                Error(
                    f'ZNS_NOTIFY["{key}"] is not set.',
                    hint="Copy it from your app's page on developers.zalo.me.",
                    id="zns_notify.E001",
                )
            )
    if not values.get("OA_SECRET_KEY") and not values.get("OA_SECRET_KEYS"):
        problems.append(
            Warning(
                'ZNS_NOTIFY["OA_SECRET_KEY"] is not set: every Zalo webhook will be rejected.',
                hint="Copy the OA Secret Key from the app's Webhook settings (not the app secret).",
                id="zns_notify.W001",
            )
        )
    label = app_settings.ORDER_MODEL
    model = None
    if label:
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            problems.append(
                Error(
                    f'ZNS_NOTIFY["ORDER_MODEL"] = {label!r} is not an installed model.',
                    hint='Use "app_label.ModelName".',
                    id="zns_notify.E002",
                )
            )
        else:
            field = app_settings.ORDER_STATUS_FIELD
            if field not in {f.name for f in model._meta.get_fields()}:
                problems.append(
                    Error(
                        f'ZNS_NOTIFY["ORDER_STATUS_FIELD"] = {field!r} is not a field of {label}.',
                        id="zns_notify.E003",
                    )
                )
            else:
                problems += _check_status_values(model, model._meta.get_field(field))
    problems += _check_order_accessors(model if label else None)
    problems += _check_order_variables(model if label else None)
    problems += _check_order_admin_url()
    problems += _check_declared_defaults()
    problems += _check_event_names(app_settings)
    problems += _check_queue()
    for status, event in app_settings.ORDER_STATUS_EVENTS.items():
        if event not in app_settings.EVENTS:
            problems.append(
                Error(
                    f'ZNS_NOTIFY["ORDER_STATUS_EVENTS"] maps {status!r} to unknown event '
                    f"{event!r}.",
                    hint='Add it to ZNS_NOTIFY["EXTRA_EVENTS"].',
                    id="zns_notify.E004",
                )
            )
    return problems


def _check_status_values(model, field) -> list:
    """Keys of ORDER_STATUS_EVENTS the status field can never hold (a typo such as
    "Shiped"): the watcher compares the saved value with the keys, so such a key never
    fires. Only a field with choices says what it can hold; any other is taken on trust."""
    if not field.choices:
        return []
    valid = [value for value, _label in field.flatchoices]
    return [
        Warning(
            f'ZNS_NOTIFY["ORDER_STATUS_EVENTS"] has the status {status!r}, which '
            f"{model._meta.label}.{field.name} cannot hold: its event never fires.",
            hint=f"The values it can hold: {', '.join(repr(v) for v in valid)}.",
            id="zns_notify.W009",
        )
        for status in app_settings.ORDER_STATUS_EVENTS
        if status not in valid
    ]


def _check_order_accessors(model) -> list:
    """ORDER_PHONE / ORDER_CUSTOMER_NAME / ORDER_CODE, read by the rule of
    :func:`zns_notify.rendering.order_data.callable_at`: a value that is neither a callable, the
    dotted path of one, an attribute path on ORDER_MODEL nor a list of those fails every
    message."""
    problems = []
    for key in ORDER_ACCESSORS:
        value = app_settings.raw_accessor(key)
        problem = _accessors_problem(value, model)
        if problem:
            problems.append(
                Error(
                    f'ZNS_NOTIFY["{key}"] = {value!r} {problem}: every message would fail.',
                    hint=ACCESSOR_HINT,
                    id="zns_notify.E007",
                )
            )
    return problems


#: Names ORDER_VARIABLES cannot take: the variables every binding has, and ``params``, the
#: rendered ZNS parameters an SMS text reads (fallback/sending.py).
RESERVED_VARIABLES = (*CONTEXT_VARIABLES, "params")

ACCESSOR_HINT = (
    'Give an attribute path on the order ("customer.phone"), a callable taking the order, '
    'the dotted path of one ("shop.utils.order_phone"), or a list of these tried in turn.'
)


def _accessors_problem(value, model) -> str:
    """_accessor_problem for one accessor, or for each of a list of fallbacks."""
    if not isinstance(value, list | tuple):
        return _accessor_problem(value, model, import_target)
    if not value:
        return "is an empty list"
    for position, each in enumerate(value, start=1):
        problem = _accessor_problem(each, model, import_target)
        if problem:
            return f"has an accessor ({position}: {each!r}) that {problem}"
    return ""


def _check_order_variables(model) -> list:
    """ORDER_VARIABLES: names a binding can write (not shadowing the variables every
    binding has), each read as ORDER_PHONE is."""
    written = app_settings.raw_order_variables()
    if not isinstance(written, dict):
        return [
            Error(
                f'ZNS_NOTIFY["ORDER_VARIABLES"] = {written!r} is not a dict.',
                hint='Write {"name": accessor}, for example {"tracking_code": "shipment.code"}.',
                id="zns_notify.E008",
            )
        ]
    problems = []
    for name, value in written.items():
        if name in RESERVED_VARIABLES:
            problem = "is a variable every binding already has"
        elif not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            # Django's templates refuse a variable starting with "_" wherever it is used.
            problem = "is not a name a binding can write"
        elif value is None:
            continue  # the shop removing a variable an adapter declares
        else:
            problem = _accessors_problem(value, model)
            problem = f"= {value!r} {problem}" if problem else ""
        if problem:
            problems.append(
                Error(
                    f'ZNS_NOTIFY["ORDER_VARIABLES"][{name!r}] {problem}.',
                    hint="Name it with letters, digits and _, not starting with _ and not "
                    f"{', '.join(RESERVED_VARIABLES)}. " + ACCESSOR_HINT,
                    id="zns_notify.E008",
                )
            )
    return problems


def _check_order_admin_url() -> list:
    value = app_settings.ORDER_ADMIN_URL
    if value is None or callable(value):
        return []
    problem = ""
    if not isinstance(value, str):
        problem = "is not a callable or the dotted path of one"
    else:
        try:
            _module, target = import_target(value)
        except Exception as exc:  # noqa: BLE001 the host's module fails to import: say why
            problem = f"names a module that fails to import ({type(exc).__name__}: {exc})"
        else:
            problem = "" if callable(target) else "is not the dotted path of a callable"
    if not problem:
        return []
    return [
        Error(
            f'ZNS_NOTIFY["ORDER_ADMIN_URL"] = {value!r} {problem}: the delivery log links '
            "no order.",
            hint="Give a callable taking (order_type, order_pk, order_ref) and returning a "
            "URL, or its dotted path; or None for the Django admin's order page.",
            id="zns_notify.E009",
        )
    ]


def _check_declared_defaults() -> list:
    """Two adapters disagreeing on a key the shop leaves to them: only the first is used."""
    written = getattr(settings, "ZNS_NOTIFY", None) or {}
    return [
        Error(
            f'Installed apps declare different defaults for ZNS_NOTIFY["{key}"]: '
            f"{', '.join(labels)}; the first one is used.",
            hint=f'Set ZNS_NOTIFY["{key}"] yourself, or remove one of the apps.',
            id="zns_notify.E013",
        )
        for key, labels in declared_conflicts()
        if written.get(key) is None
    ]


def _accessor_problem(value, model, import_target) -> str:
    """Why ``value`` cannot read an order, or "" when it can (or cannot be checked)."""
    if callable(value):
        return ""
    if not isinstance(value, str):
        return "is not a string or a callable"
    if not all(value.split(".")):  # "", "customer..phone": no model has a nameless attribute
        return "is neither an attribute path nor a callable (it has an empty name)"
    try:
        module, target = import_target(value)
    except Exception as exc:  # noqa: BLE001 the host's module fails to import: say why
        return f"names a module that fails to import ({type(exc).__name__}: {exc})"
    if callable(target) or model is None:
        return ""  # a callable path; or an attribute path with no ORDER_MODEL to check it on
    why = _attribute_path_problem(model, value)
    if not why:
        return ""
    if module is not None:  # it looked like a callable path, too: say why it is not one
        name = value.rpartition(".")[2]
        not_callable = f"{value} is not callable" if hasattr(module, name) else ""
        why += "; " + (not_callable or f"{module.__name__} has no callable {name!r}")
    return f"is neither an attribute path nor a callable ({why})"


def _attribute_path_problem(model, path: str) -> str:
    """Why ``path`` cannot be read from an instance of ``model``, or "". Followed through
    forward relations; past a plain value (a date, a string) or a property, what the
    object is cannot be known here, so the rest of the path is taken on trust."""
    current = model
    for part in path.split("."):
        if current is None:
            return ""
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            if part and hasattr(current, part):
                return ""  # a property, a method, a reverse accessor: not checkable further
            return f"{current._meta.label} has no field or attribute {part!r}"
        current = field.related_model if (field.many_to_one or field.one_to_one) else None
    return ""


def _check_event_names(app_settings) -> list:
    return [
        Error(
            f'ZNS_NOTIFY["EXTRA_EVENTS"] has the event name {name!r}, which notify() refuses.',
            hint="Use lowercase letters, digits and _ . - (at most 64 characters).",
            id="zns_notify.E005",
        )
        for name in app_settings.EXTRA_EVENTS
        if not EVENT_NAME.fullmatch(str(name))
    ]


def _check_queue() -> list:
    """django-q2 settings known to run a task twice (zns_notify absorbs it, but wastes work
    and, for the shop's other tasks, may do things twice)."""
    cluster = getattr(settings, "Q_CLUSTER", None) or {}
    timeout, retry = cluster.get("timeout"), cluster.get("retry", 60)
    problems = []
    if timeout is not None and retry is not None and retry <= timeout:
        problems.append(
            Warning(
                f'Q_CLUSTER["retry"] ({retry}) is not larger than Q_CLUSTER["timeout"] '
                f"({timeout}): django-q2 hands a running task to a second worker.",
                hint='Set Q_CLUSTER["retry"] above Q_CLUSTER["timeout"].',
                id="zns_notify.W002",
            )
        )
    if timeout is None and retry is not None:
        problems.append(
            Warning(
                f'Q_CLUSTER has no "timeout": a task running longer than Q_CLUSTER["retry"] '
                f"({retry} s) is handed to a second worker while the first still runs it.",
                hint='Set Q_CLUSTER["timeout"] below Q_CLUSTER["retry"] (for example 30 and 60).',
                id="zns_notify.W004",
            )
        )
    if not cluster.get("max_attempts"):
        problems.append(
            Warning(
                'Q_CLUSTER["max_attempts"] is unset or 0: on the ORM broker django-q2 runs a task '
                "that fails again and again, without limit.",
                hint='Set Q_CLUSTER["max_attempts"] = 1: zns_notify retries sends in its own '
                "table, with backoff and a reason for each attempt.",
                id="zns_notify.W005",
            )
        )
    problems += check_sqlite_locking(cluster, settings.DATABASES)
    return problems


def check_sqlite_locking(cluster: dict, databases: dict) -> list:
    """SQLite shared by the web server and qcluster processes: without IMMEDIATE
    transactions a writer that first read fails at once with "database is locked" (measured
    with django-q2: 5-9% of result saves in the default journal mode)."""
    alias = cluster.get("orm")
    database = databases.get(alias) if alias else None
    if not database or database.get("ENGINE") != "django.db.backends.sqlite3":
        return []
    options = database.get("OPTIONS") or {}
    if str(database.get("NAME")) == ":memory:" or options.get("transaction_mode") == "IMMEDIATE":
        return []
    return [
        Warning(
            f'The ORM broker uses the SQLite database "{alias}" without IMMEDIATE transactions: '
            'the web server and the workers will fail with "database is locked".',
            hint=f'Set DATABASES["{alias}"]["OPTIONS"] = {{"transaction_mode": "IMMEDIATE", '
            '"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}.',
            id="zns_notify.W006",
        )
    ]


@register(Tags.database)
def check_bindings(app_configs=None, databases=None, **kwargs):
    """Active bindings that no longer fit their template (zns_notify.W003).

    A database check, as Django runs them: by ``manage.py check --database default`` and by
    ``migrate``; the admin shows the same problems on the binding pages.
    """
    using = router.db_for_read(Binding)
    if not databases or using not in databases:
        return []
    problems = []
    try:
        active = Binding.objects.using(using).filter(is_active=True).select_related("template")
        for binding in active:
            for problem in fitness_problems(binding):
                problems.append(
                    Warning(
                        f"Binding {binding.pk} ({binding}) will not be sent: {problem}",
                        hint="Run zns_sync_templates if its template changed on Zalo, then fix "
                        "the binding (parameters, condition, SMS text) or deactivate it in the "
                        "admin.",
                        obj=binding,
                        id="zns_notify.W003",
                    )
                )
    except DatabaseError:  # not migrated yet: nothing to check
        return []
    return problems
