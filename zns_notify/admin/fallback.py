"""A read-only admin page for the SMS fallback steps (docs/fallback.md): what was sent as
SMS, why, what it cost, and the double costs. Steps are written by the workers only."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from zns_notify.admin.base import PhoneLookupsMixin, ReadOnlyAdmin
from zns_notify.fallback import steps as fallback
from zns_notify.lib.phones import can_see_full_phone
from zns_notify.log.timeline import clean
from zns_notify.models import FallbackStep
from zns_notify.models import sms_triggers as triggers


class TriggerFilter(admin.SimpleListFilter):
    """The stored trigger codes (a CharField without choices), in words."""

    title = _("trigger")
    parameter_name = "trigger"

    def lookups(self, request, model_admin):
        return [(value, fallback.label(value)) for value in (*triggers.KNOWN, triggers.WINDOW)]

    def queryset(self, request, queryset):
        return queryset.filter(trigger=self.value()) if self.value() else queryset


@admin.register(FallbackStep)
class FallbackStepAdmin(PhoneLookupsMixin, ReadOnlyAdmin):
    #: The SMS text, the provider's error and answer may hold the customer's number.
    phone_fields = ("text", "error_message", "result")
    list_display = [
        "created_at",
        "message",
        "status",
        "reason",
        "trigger_display",
        "due_at",
        "attempts",
        "segments",
        "cost",
        "double_cost",
    ]
    list_filter = ["status", "reason", TriggerFilter, "double_cost"]
    search_fields = ["reference", "provider_message_id"]
    search_help_text = _(
        "Exact reference (the message's tracking id + \"-sms\") or provider's message id."
    )
    list_select_related = ["message"]
    show_full_result_count = False
    fields = [
        "message",
        "channel",
        "reference",
        "status",
        "reason",
        "trigger_display",
        "due_at",
        "attempts",
        "claimed_at",
        "sent_at",
        "cancelled_at",
        "text",
        "provider",
        "provider_message_id",
        "encoding",
        "segments",
        "cost",
        "double_cost",
        "error_kind",
        "error_message",
        "result",
        "created_at",
    ]

    def get_object(self, request, object_id, from_field=None):
        """The step with the phone masked in what it shows, like the delivery log, unless
        the reader has ``view_full_phone``. The page is read-only: nothing is saved."""
        step = super().get_object(request, object_id, from_field)
        if step is not None and not can_see_full_phone(request):
            phone = step.message.phone
            for name in self.phone_fields:
                setattr(step, name, clean(getattr(step, name), phone, full_phone=False))
        return step

    def get_search_results(self, request, queryset, search_term):
        # Exact matches on unique or selective columns: no LIKE scan of a large table.
        term = search_term.strip()
        if not term:
            return queryset, False
        return (queryset.filter(reference=term) | queryset.filter(provider_message_id=term)), False

    @admin.display(description=_("trigger"), ordering="trigger")
    def trigger_display(self, obj: FallbackStep) -> str:
        return fallback.label(obj.trigger) if obj.trigger else ""
