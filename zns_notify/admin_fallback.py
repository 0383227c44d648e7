"""A read-only admin page for the SMS fallback steps (docs/fallback.md): what was sent as
SMS, why, what it cost, and the double costs. Steps are written by the workers only."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .admin_base import ReadOnlyAdmin
from .models import FallbackStep


@admin.register(FallbackStep)
class FallbackStepAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "message", "status", "reason", "trigger", "due_at",
                    "attempts", "segments", "cost", "double_cost"]
    list_filter = ["status", "reason", "trigger", "double_cost"]
    search_fields = ["reference", "provider_message_id"]
    search_help_text = _("Exact reference (the message's tracking id + \"-sms\") or "
                         "provider's message id.")
    list_select_related = ["message"]
    show_full_result_count = False
    fields = ["message", "channel", "reference", "status", "reason", "trigger", "due_at",
              "attempts", "claimed_at", "sent_at", "cancelled_at", "text", "provider",
              "provider_message_id", "encoding", "segments", "cost", "double_cost",
              "error_kind", "error_message", "result", "created_at"]

    def get_search_results(self, request, queryset, search_term):
        # Exact matches on unique or selective columns: no LIKE scan of a large table.
        term = search_term.strip()
        if not term:
            return queryset, False
        return (queryset.filter(reference=term) | queryset.filter(provider_message_id=term)), False
