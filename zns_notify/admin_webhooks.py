"""Read-only admin pages for received webhooks and customers' ratings (imported by
:mod:`zns_notify.admin`): an audit trail, never edited by hand."""

from __future__ import annotations

from django.contrib import admin

from .models import MessageFeedback, WebhookEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "event_name", "subject", "outcome", "signed_at"]
    list_filter = ["event_name", "outcome"]
    search_fields = ["subject", "dedup_key"]
    date_hierarchy = "received_at"
    fields = ["event_name", "subject", "outcome", "detail", "app_id", "received_at",
              "signed_at", "processed_at", "dedup_key", "body"]


@admin.register(MessageFeedback)
class MessageFeedbackAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "rate", "rating_type", "msg_id", "message"]
    list_filter = ["rating_type", "rate"]
    search_fields = ["msg_id", "tracking_id", "note"]
    list_select_related = ["message"]
    fields = ["message", "msg_id", "tracking_id", "rating_type", "option", "rate", "note",
              "feedbacks", "submitted_at", "received_at"]
