"""What the API accepts as a reported order event (``POST /zns/api/events/``) and what it
answers: strict text, order data a binding expression can read, unknown fields refused."""

from __future__ import annotations

import re
from typing import Any

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from zns_notify.api.filters import EVENT_NAME_VALIDATOR, WholeTextValidator
from zns_notify.api.serializers import MessageSerializer
from zns_notify.conf import app_settings
from zns_notify.models import Message

_CONTROL_CHARS = r"\x00-\x1f\x7f"
#: Control characters, and lone surrogates (not Unicode text, so no JSON Schema string).
_CONTROL = re.compile(rf"[{_CONTROL_CHARS}\ud800-\udfff]")
#: Text without control characters: the server's check and the schema's pattern.
TEXT = f"^[^{_CONTROL_CHARS}]*$"
#: The characters Python's ``str.strip()`` removes that are not control characters: a
#: required text of only these is blank to DRF (it trims), so the schema must say so. Not
#: the ECMA ``\s``, which lacks U+0085 and has U+FEFF (Python keeps that one).
_SPACES = r"\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: Text without control characters and with something besides spaces (a required text).
FILLED_TEXT = f"^[^{_CONTROL_CHARS}]*[^{_CONTROL_CHARS}{_SPACES}][^{_CONTROL_CHARS}]*$"
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
DATA_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
#: Names a binding expression already has (notify()'s context and the order's own facts).
RESERVED_NAMES = frozenset(
    {
        "pk",
        "code",
        "order_ref",
        "order_code",
        "phone",
        "customer_name",
        "total",
        "order",
        "event",
        "now",
        "development_mode",
    }
)
MAX_DATA_FIELDS = 50
MAX_DATA_TEXT = 500
IDEMPOTENCY_KEY_RULE = _("Idempotency keys are 1 to 255 visible ASCII characters, no spaces.")


class TextField(serializers.CharField):
    """A JSON string and nothing else (DRF's CharField also takes numbers: a phone number
    sent as a number has lost its leading 0), without control characters."""

    default_error_messages = {
        "not_text": _("Must be a string."),
        "control": _("Must not contain control characters."),
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not any(isinstance(v, RegexValidator) for v in self.validators):
            # DRF refuses a blank value before the validators run, with its own message.
            pattern = TEXT if self.allow_blank else FILLED_TEXT
            self.validators.append(
                WholeTextValidator(pattern, message=self.error_messages["control"])
            )

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_text")
        if _CONTROL.search(data):
            self.fail("control")
        return super().to_internal_value(data)


#: An order total as text: what the schema allows besides a number (VND, 2 decimals at most).
AMOUNT_TEXT = r"^\d{1,13}(?:\.\d{1,2})?$"
MAX_AMOUNT = "9999999999999.99"


class AmountField(serializers.DecimalField):
    """A total of at most 15 digits, 2 of them decimals, as a JSON number or numeric text."""

    default_error_messages = {
        "amount_text": _("A valid number is required: digits, at most 2 decimals (1250000.50)."),
    }

    def __init__(self, **kwargs):
        super().__init__(max_digits=15, decimal_places=2, min_value=0, **kwargs)

    def to_internal_value(self, data: Any):
        if isinstance(data, str) and not re.fullmatch(AMOUNT_TEXT, data):
            self.fail("amount_text")
        return super().to_internal_value(data)

    def openapi_extra(self) -> dict[str, Any]:
        return {
            "type": ["number", "string", "null"] if self.allow_null else ["number", "string"],
            "minimum": 0,
            "maximum": float(MAX_AMOUNT),
            "multipleOf": 0.01,
            "pattern": AMOUNT_TEXT,
            "format": None,
            "exclusiveMaximum": None,
        }


class EventNameField(TextField):
    """One of the shop's events: the schema lists them as they are configured now."""

    def openapi_extra(self) -> dict[str, Any]:
        return {"enum": list(app_settings.EVENTS)}


@extend_schema_field(
    {
        "type": "object",
        "propertyNames": {"pattern": DATA_NAME.pattern, "not": {"enum": sorted(RESERVED_NAMES)}},
        "maxProperties": MAX_DATA_FIELDS,
        "additionalProperties": {
            "oneOf": [
                {"type": "string", "maxLength": MAX_DATA_TEXT, "pattern": TEXT},
                {"type": "number"},
                {"type": "boolean"},
                {"type": "null"},
            ],
        },
        "example": {
            "payment_method_label": "Thanh toán khi nhận hàng",
            "paid_at": "2026-11-22T09:30:00+07:00",
        },
    }
)
class OrderDataField(serializers.Field):
    """Further facts of the order, ``{name: text | number | boolean | null}``. Binding
    expressions see each one as ``order.<name>`` and as ``<name>``."""

    default_error_messages = {
        "not_object": _("Must be a JSON object."),
        "too_many": _("At most %(max)d fields."),
        "bad_name": _(
            "%(name)s: names use lowercase letters, digits and _, starting with a letter."
        ),
        "reserved": _("%(name)s is reserved: zns_notify sets it itself."),
        "bad_value": _("%(name)s: values are text, numbers, true/false or null."),
        "too_long": _("%(name)s: at most %(max)d characters."),
        "control": _("%(name)s: must not contain control characters."),
    }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail("not_object")
        if len(data) > MAX_DATA_FIELDS:
            raise serializers.ValidationError(
                self.error_messages["too_many"] % {"max": MAX_DATA_FIELDS}, code="too_many"
            )
        errors = [self._problem(str(name), value) for name, value in data.items()]
        errors = [error for error in errors if error]
        if errors:
            raise serializers.ValidationError(errors)
        return dict(data)

    def _problem(self, name: str, value: Any) -> str:
        messages = self.error_messages
        if not DATA_NAME.fullmatch(name):
            return messages["bad_name"] % {"name": name[:70]}
        if name in RESERVED_NAMES:
            return messages["reserved"] % {"name": name}
        if value is not None and not isinstance(value, str | int | float | bool):
            return messages["bad_value"] % {"name": name}
        if isinstance(value, str) and len(value) > MAX_DATA_TEXT:
            return messages["too_long"] % {"name": name, "max": MAX_DATA_TEXT}
        if isinstance(value, str) and _CONTROL.search(value):
            return messages["control"] % {"name": name}
        return ""

    def to_representation(self, value: Any) -> Any:
        return value


class ClosedSerializer(serializers.Serializer):
    """A request body whose unknown fields are refused, each named, not ignored: a misspelt
    field would otherwise vanish silently."""

    default_error_messages = {"unknown_field": _("Unknown field.")}
    #: Unknown fields are refused: the schema says no additional properties.
    closed = True

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            errors = exc.detail if isinstance(exc.detail, dict) else {}
            if not unknown or not errors:
                raise
        else:
            errors = {}
        for name in unknown:
            errors[name[:70]] = [self.error_messages["unknown_field"]]
        if errors:
            raise serializers.ValidationError(errors)
        return value


class EventSerializer(ClosedSerializer):
    """The body of ``POST /zns/api/events/`` (unknown fields refused)."""

    event = EventNameField(
        max_length=64,
        validators=[EVENT_NAME_VALIDATOR],
        help_text=_("One of the shop's events, e.g. order_paid."),
    )
    order_ref = TextField(
        max_length=64,
        help_text=_(
            "The order code customers know; one message per binding, order reference and event."
        ),
    )
    phone = TextField(
        max_length=32,
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        help_text=_("As typed; an unusable number skips the messages, with the reason."),
    )
    customer_name = TextField(
        max_length=200, required=False, allow_blank=True, allow_null=True, default=""
    )
    total = AmountField(
        required=False,
        allow_null=True,
        default=None,
        coerce_to_string=False,
        help_text=_("Order total in VND."),
    )
    data = OrderDataField(required=False, default=dict)
    development_mode = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Overrides ZNS_NOTIFY['DEVELOPMENT_MODE'] for this event's messages."),
    )
    idempotency_key = TextField(
        max_length=255,
        validators=[WholeTextValidator(IDEMPOTENCY_KEY.pattern, message=IDEMPOTENCY_KEY_RULE)],
        required=False,
        help_text=_("Instead of the Idempotency-Key header: 1 to 255 visible ASCII characters."),
    )

    def validate_event(self, value: str) -> str:
        if value not in app_settings.EVENTS:
            raise serializers.ValidationError(
                _("Unknown event %(event)s. Known events: %(known)s.")
                % {"event": value, "known": ", ".join(app_settings.EVENTS)}
            )
        return value

    def validate_phone(self, value: str | None) -> str:
        return value or ""

    def validate_customer_name(self, value: str | None) -> str:
        return value or ""


class EventResultSerializer(serializers.Serializer):
    """The answer to a reported event (and to its replays)."""

    event = serializers.CharField()
    order_ref = serializers.CharField()
    idempotency_key = serializers.CharField(allow_null=True)
    messages = MessageSerializer(many=True)


class MessageRefSerializer(serializers.ModelSerializer):
    """What a reporter without ``view_message`` learns of the event's messages: which ones,
    and their status. The same event for the same order may have been reported by another
    client, whose customer data this caller must not read."""

    class Meta:
        model = Message
        fields = ["id", "idempotency_key", "event", "status"]


class EventResultRefSerializer(EventResultSerializer):
    messages = MessageRefSerializer(many=True)
