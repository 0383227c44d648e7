"""Read-only admin pages for received webhooks and customers' ratings (imported by
:mod:`zns_notify.admin`): an audit trail, never edited by hand."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from zns_notify.admin.base import PhoneLookupsMixin, ReadOnlyAdmin
from zns_notify.lib.phones import can_see_full_phone, mask_phones
from zns_notify.models import MessageFeedback, WebhookEvent


@admin.register(WebhookEvent)
class WebhookEventAdmin(PhoneLookupsMixin, ReadOnlyAdmin):
    # A receipt's body carries the recipient's number (recipient.id).
    phone_fields = ("body",)

    list_display = ["received_at", "event_name", "subject", "outcome", "signed_at"]
    list_filter = ["event_name", "outcome"]
    search_fields = ["subject", "dedup_key"]
    date_hierarchy = "received_at"
    fields = [
        "event_name",
        "subject",
        "outcome",
        "detail",
        "app_id",
        "received_at",
        "signed_at",
        "processed_at",
        "dedup_key",
        "masked_body",
    ]

    def get_fields(self, request, obj=None):
        # Receipts carry the customer's phone in recipient.id: the raw body only for staff
        # who may see full phones, as on the message log.
        if can_see_full_phone(request):
            return [name if name != "masked_body" else "body" for name in self.fields]
        return self.fields

    @admin.display(description=_("body"))
    def masked_body(self, obj: WebhookEvent) -> str:
        # The recipient is unknown here: every number and every hash, however written.
        return mask_phones(obj.body)


@admin.register(MessageFeedback)
class MessageFeedbackAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "rate", "rating_type", "msg_id", "message"]
    list_filter = ["rating_type", "rate"]
    search_fields = ["msg_id", "tracking_id", "note"]
    list_select_related = ["message"]
    fields = [
        "message",
        "msg_id",
        "tracking_id",
        "rating_type",
        "option",
        "rate",
        "note",
        "feedbacks",
        "submitted_at",
        "received_at",
    ]
