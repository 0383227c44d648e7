"""What the API shows of messages, templates and bindings, and what it accepts as an event."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from zns_notify.bindings.validation import fitness_problems
from zns_notify.conf import app_settings
from zns_notify.events.notify import EVENT_NAME
from zns_notify.lib.phones import mask, mask_params
from zns_notify.log.timeline import clean, timeline
from zns_notify.models import Binding, FallbackStep, Message, Template

# -- Reading ------------------------------------------------------------------------------


class TimelineSerializer(serializers.Serializer):
    """One entry of :func:`zns_notify.log.timeline.timeline`: the message's own events,
    webhooks about it and its delivery, secrets removed, the phone masked as the message's."""

    at = serializers.DateTimeField(allow_null=True)
    kind = serializers.CharField(
        help_text=_("enqueued, attempt, note, policy, receipt, webhook, feedback or delivered.")
    )
    label = serializers.CharField()
    status = serializers.CharField()
    error_code = serializers.IntegerField(allow_null=True)
    detail = serializers.CharField()
    payload = serializers.JSONField(
        allow_null=True,
        help_text=_(
            "For an attempt: the request sent to Zalo (never the access token) and its answer; "
            "for a webhook: what Zalo posted."
        ),
    )
    linked_message = serializers.IntegerField(
        source="linked_pk",
        allow_null=True,
        help_text=_("For a resend: the other message of the pair."),
    )


class FallbackStepSerializer(serializers.ModelSerializer):
    """The SMS fallback step of a message (docs/fallback.md)."""

    class Meta:
        model = FallbackStep
        fields = [
            "status",
            "reason",
            "trigger",
            "due_at",
            "attempts",
            "sent_at",
            "cancelled_at",
            "provider",
            "provider_message_id",
            "encoding",
            "segments",
            "cost",
            "error_kind",
            "error_message",
            "double_cost",
        ]
        read_only_fields = fields


def fallback_step(message: Message) -> FallbackStep | None:
    """The message's step; the views select it with the message (no query per row)."""
    try:
        return message.fallback_step
    except ObjectDoesNotExist:
        return None


class MessageSerializer(serializers.ModelSerializer):
    """A message as the admin's log shows it: the phone (and the phone inside parameters)
    masked unless ``context["full_phone"]``."""

    phone = serializers.SerializerMethodField(help_text=_("Normalized as 84xxxxxxxxx."))
    params = serializers.SerializerMethodField(help_text=_("Rendered parameters."))
    template = serializers.CharField(
        source="zalo_template_id", read_only=True, help_text=_("Zalo template id.")
    )
    binding = serializers.IntegerField(source="binding_id", read_only=True, allow_null=True)
    resent_from = serializers.IntegerField(
        source="resent_from_id",
        read_only=True,
        allow_null=True,
        help_text=_("The message this one is a resend of."),
    )
    channel = serializers.SerializerMethodField(
        help_text=_('"sms" once the SMS fallback went out, else "zns".')
    )
    fallback_status = serializers.SerializerMethodField(
        help_text=_(
            "The SMS fallback step's status (scheduled, sending, sent, failed, "
            "cancelled), or null when there is none."
        )
    )
    double_cost = serializers.SerializerMethodField(
        help_text=_("Zalo delivered the message after the SMS went out: both were paid.")
    )
    fallback = serializers.SerializerMethodField(help_text=_("The SMS fallback step, or null."))

    class Meta:
        model = Message
        fields = [
            "id",
            "idempotency_key",
            "event",
            "status",
            "order_type",
            "order_pk",
            "order_ref",
            "phone",
            "template",
            "binding",
            "params",
            "development_mode",
            "msg_id",
            "error_code",
            "error_category",
            "error_message",
            "attempts",
            "next_attempt_at",
            "ambiguous_sends",
            "created_at",
            "sent_at",
            "delivered_at",
            "resent_from",
            "channel",
            "fallback_status",
            "double_cost",
            "fallback",
        ]
        read_only_fields = fields

    def _full_phone(self) -> bool:
        return bool(self.context.get("full_phone"))

    def get_phone(self, obj: Message) -> str:
        return obj.phone if self._full_phone() else mask(obj.phone)

    def get_params(self, obj: Message) -> dict[str, str]:
        params = obj.params or {}
        return dict(params) if self._full_phone() else mask_params(params, obj.phone)

    def get_channel(self, obj: Message) -> str:
        step = fallback_step(obj)
        return "sms" if step is not None and step.status == FallbackStep.Status.SENT else "zns"

    def get_fallback_status(self, obj: Message) -> str | None:
        step = fallback_step(obj)
        return step.status if step is not None else None

    def get_double_cost(self, obj: Message) -> bool:
        step = fallback_step(obj)
        return bool(step is not None and step.double_cost)

    @extend_schema_field(FallbackStepSerializer(allow_null=True))
    def get_fallback(self, obj: Message) -> dict[str, Any] | None:
        step = fallback_step(obj)
        if step is None:
            return None
        data = FallbackStepSerializer(step).data
        if not self._full_phone():  # a provider's error may quote the number
            data["error_message"] = clean(data["error_message"], obj.phone, full_phone=False)
        return data


class MessageDetailSerializer(MessageSerializer):
    timeline = serializers.SerializerMethodField()

    class Meta(MessageSerializer.Meta):
        fields = [*MessageSerializer.Meta.fields, "timeline"]
        read_only_fields = fields

    @extend_schema_field(TimelineSerializer(many=True))
    def get_timeline(self, obj: Message) -> list[dict]:
        entries = timeline(obj, full_phone=self._full_phone())
        return TimelineSerializer(entries, many=True).data


class TemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Template
        fields = [
            "id",
            "template_id",
            "name",
            "status",
            "tag",
            "zalo_tag",
            "params",
            "buttons",
            "quality",
            "price",
            "price_uid",
            "preview_url",
            "timeout_ms",
            "reason",
            "synced_at",
            "missing_since",
            "params_changed_at",
            "sync_note",
        ]
        read_only_fields = fields


class BindingSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(
        slug_field="template_id", read_only=True, help_text=_("Zalo template id.")
    )
    problems = serializers.SerializerMethodField(
        help_text=_("Why an active binding would not be sent as it is (empty when it would).")
    )

    class Meta:
        model = Binding
        fields = [
            "id",
            "name",
            "event",
            "template",
            "params",
            "is_active",
            "delay_minutes",
            "condition",
            "sms_enabled",
            "sms_text",
            "sms_window_minutes",
            "sms_triggers",
            "problems",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_problems(self, obj: Binding) -> list[str]:
        return [str(p) for p in fitness_problems(obj)] if obj.is_active else []


# -- Reporting an event -------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")  # and lone surrogates (not text)
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


class TextField(serializers.CharField):
    """A JSON string and nothing else (DRF's CharField also takes numbers: a phone number
    sent as a number has lost its leading 0), without control characters."""

    default_error_messages = {
        "not_text": _("Must be a string."),
        "control": _("Must not contain control characters."),
    }

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_text")
        if _CONTROL.search(data):
            self.fail("control")
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}],
            "nullable": True,
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
        if not DATA_NAME.match(name):
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


class EventSerializer(serializers.Serializer):
    """The body of ``POST /zns/api/events/``. Unknown fields are refused, not ignored: a
    misspelt field would otherwise vanish from the message silently."""

    default_error_messages = {"unknown_field": _("Unknown field.")}

    event = TextField(max_length=64, help_text=_("One of the shop's events, e.g. order_paid."))
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
    total = serializers.DecimalField(
        max_digits=15,
        decimal_places=2,
        min_value=0,
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
        required=False,
        help_text=_("Instead of the Idempotency-Key header: 1 to 255 visible ASCII characters."),
    )

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

    def validate_event(self, value: str) -> str:
        if not EVENT_NAME.match(value):
            raise serializers.ValidationError(
                _("Use lowercase letters, digits and _ . - (at most 64 characters).")
            )
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

    def validate_idempotency_key(self, value: str) -> str:
        if not IDEMPOTENCY_KEY.match(value):
            raise serializers.ValidationError(IDEMPOTENCY_KEY_RULE)
        return value


IDEMPOTENCY_KEY_RULE = _("Idempotency keys are 1 to 255 visible ASCII characters, no spaces.")


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


# -- Statistics (documentation of the answer) -------------------------------------------


class StatusCountsSerializer(serializers.Serializer):
    def get_fields(self):
        return {status.value: serializers.IntegerField() for status in Message.Status}


class FiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    accepted = serializers.IntegerField(
        help_text=_("Messages Zalo accepted: sent, delivered or undelivered.")
    )
    counts = StatusCountsSerializer()
    delivered_rate = serializers.FloatField(
        allow_null=True, help_text=_("delivered / accepted; null when nothing was accepted.")
    )
    failed_rate = serializers.FloatField(
        allow_null=True, help_text=_("failed / total; null when there is no message.")
    )


class StatsGroupSerializer(FiguresSerializer):
    def get_fields(self):
        # What the group is comes first, then its figures.
        return {
            "day": serializers.DateField(required=False, help_text=_("With group=day.")),
            "template": serializers.CharField(required=False, help_text=_("With group=template.")),
            "name": serializers.CharField(required=False, help_text=_("With group=template.")),
            **super().get_fields(),
        }


class StatsSerializer(serializers.Serializer):
    def get_fields(self):
        fields = {
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "group": serializers.ChoiceField(choices=["day", "template"]),
            "timezone": serializers.CharField(),
            "groups": StatsGroupSerializer(many=True),
            "totals": FiguresSerializer(),
        }
        return fields
