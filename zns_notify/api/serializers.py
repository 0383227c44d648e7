"""What the API shows of messages, templates, bindings and statistics. What it accepts as a
reported event, and answers to one, is :mod:`zns_notify.api.event_serializers`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from zns_notify.bindings.validation import fitness_problems
from zns_notify.display.secrets import shown_params
from zns_notify.lib.phones import mask, mask_params, mask_phones
from zns_notify.log.timeline import clean, timeline
from zns_notify.models import Binding, FallbackStep, Message, Template

# -- Reading ------------------------------------------------------------------------------


@extend_schema_field({"type": ["object", "array", "string", "number", "boolean", "null"]})
class AnyJSONField(serializers.JSONField):
    """Any JSON value, null included (drf-spectacular's OpenAPI 3.1 form of a nullable
    JSONField is a oneOf that null matches twice, which a validator rejects)."""


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
    payload = AnyJSONField(
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

    def to_representation(self, instance: Message) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self._full_phone() and data.get("error_message"):
            # A reason may quote the number (a provider's refusal): masked like the phone.
            data["error_message"] = mask_phones(data["error_message"], instance.phone)
        return data

    def get_params(self, obj: Message) -> dict[str, str]:
        params = obj.params or {}
        shown = dict(params) if self._full_phone() else mask_params(params, obj.phone)
        return shown_params(obj, shown)  # a one-time code is read by no one

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


@extend_schema_field(
    {"type": "string", "anyOf": [{"format": "uri"}, {"maxLength": 0}]},
)
class PreviewUrlField(serializers.CharField):
    """Zalo's preview link, or empty when it gave none (an empty string is no URI)."""


class TemplateSerializer(serializers.ModelSerializer):
    preview_url = PreviewUrlField(read_only=True)

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


class CodeFiguresSerializer(serializers.Serializer):
    requested = serializers.IntegerField(help_text=_("Codes requested."))
    zns_delivered = serializers.IntegerField(
        help_text=_("Codes whose message Zalo delivered (a delivery receipt).")
    )
    sms_sent = serializers.IntegerField(help_text=_("Codes whose SMS went out."))
    verified = serializers.IntegerField(help_text=_("Codes the customer verified."))
    conversion = serializers.FloatField(
        allow_null=True, help_text=_("verified / requested; null when no code was requested.")
    )
    sms_share = serializers.FloatField(
        allow_null=True, help_text=_("sms_sent / requested; null when no code was requested.")
    )
    wire_p50_seconds = serializers.FloatField(
        allow_null=True,
        help_text=_(
            "Median time from the request to Zalo accepting the code's message, estimated "
            "from fixed time steps; null when Zalo accepted none."
        ),
    )
    wire_p95_seconds = serializers.FloatField(
        allow_null=True, help_text=_("The same at the 95th percentile.")
    )


class CodePurposeSerializer(CodeFiguresSerializer):
    def get_fields(self):
        return {"purpose": serializers.CharField(), **super().get_fields()}


class CodeStatsSerializer(CodeFiguresSerializer):
    def get_fields(self):
        return {**super().get_fields(), "purposes": CodePurposeSerializer(many=True)}


class JourneyStatsSerializer(serializers.Serializer):
    messages = serializers.IntegerField(help_text=_("Messages Zalo accepted under a journey."))
    delivered = serializers.IntegerField(
        help_text=_("Of them, delivered (outside development mode).")
    )
    billed = serializers.IntegerField(help_text=_("Journey tokens Zalo billed."))
    outside = serializers.IntegerField(
        help_text=_("Messages of journey bindings that went as a normal send.")
    )


class StatsSerializer(serializers.Serializer):
    def get_fields(self):
        fields = {
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "group": serializers.ChoiceField(choices=["day", "template"]),
            "timezone": serializers.CharField(),
            "groups": StatsGroupSerializer(many=True),
            "totals": FiguresSerializer(),
            "otp": CodeStatsSerializer(
                help_text=_(
                    "One-time codes requested in the period (left out of the counts above), "
                    "from the reports' daily figures: refreshed every 5 minutes."
                )
            ),
            "journeys": JourneyStatsSerializer(
                help_text=_(
                    "Messages of ZNS Journey bindings in the period, from the reports' daily "
                    "figures: refreshed every 5 minutes."
                )
            ),
        }
        return fields
