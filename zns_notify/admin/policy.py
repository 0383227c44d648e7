"""Admin for the policy engine: opted-out recipients, the recipient cap's daily counts, and
each message's policy decision on the message log (column, filter, detail)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from zns_notify.admin.base import PhoneLookupsMixin, ReadOnlyAdmin
from zns_notify.exceptions import ZnsInvalidPhone
from zns_notify.lib.phones import can_see_full_phone, mask, normalize_phone
from zns_notify.models import UNSENT_STATUSES, Message, RecipientDailyCount, RecipientOptOut
from zns_notify.models.error_categories import POLICY as CATEGORY
from zns_notify.models.messages import sent_status_condition


class PolicyDecisionFilter(admin.SimpleListFilter):
    title = _("policy decision")
    parameter_name = "policy"

    def lookups(self, request, model_admin):
        return [
            ("deferred", _("Deferred by policy")),
            ("skipped", _("Skipped by policy")),
            ("cancelled", _("Cancelled by policy")),
            ("any", _("Any policy decision")),
        ]

    def queryset(self, request, queryset):
        statuses = {
            "deferred": [Message.Status.QUEUED],
            "skipped": [Message.Status.SKIPPED],
            "cancelled": [Message.Status.CANCELLED],
            "any": None,
        }
        if self.value() not in statuses:
            return queryset
        queryset = queryset.filter(error_category=CATEGORY)
        wanted = statuses[self.value()]
        if wanted is None:
            return queryset
        queryset = queryset.filter(status__in=wanted)
        if not set(wanted) & set(UNSENT_STATUSES):
            # Served by the partial status index in created_at order (docs/performance.md).
            queryset = queryset.filter(sent_status_condition())
        return queryset


class PolicyMessageAdminMixin:
    """The message log's view of the policy engine's decision on each message."""

    @admin.display(description=_("policy decision"))
    def policy_decision(self, obj: Message) -> str:
        if obj.error_category != CATEGORY:
            return ""
        if obj.status == Message.Status.QUEUED and obj.next_attempt_at:
            # The active language's format (vi: 22:00 21-11-2026), in local time.
            until = date_format(timezone.localtime(obj.next_attempt_at), "SHORT_DATETIME_FORMAT")
            label = _("deferred until %(until)s") % {"until": until}
        else:
            label = obj.get_status_display()
        return format_html("<strong>{}</strong>: {}", label, obj.error_message)


class OptOutForm(forms.ModelForm):
    """The phone is stored normalized (84…), so a number typed any way is found again."""

    class Meta:
        model = RecipientOptOut
        fields = ["phone", "reason", "source", "opted_out_at"]

    def clean_phone(self) -> str:
        try:
            phone = normalize_phone(self.cleaned_data.get("phone"))
        except ZnsInvalidPhone as exc:
            raise forms.ValidationError(str(exc), code="invalid_phone") from exc
        taken = RecipientOptOut.objects.filter(phone=phone).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("This recipient has already opted out."), code="duplicate"
            )
        return phone


@admin.register(RecipientOptOut)
class RecipientOptOutAdmin(PhoneLookupsMixin, admin.ModelAdmin):
    form = OptOutForm
    list_display = ["phone_masked", "reason", "source", "opted_out_at"]
    list_filter = ["source"]
    search_fields = ["=phone"]
    date_hierarchy = "opted_out_at"

    @admin.display(description=_("phone"), ordering="phone")
    def phone_masked(self, obj: RecipientOptOut) -> str:
        return mask(obj.phone)

    def get_search_fields(self, request):
        # Searching by phone would tell staff who may not see numbers whether one is there.
        return super().get_search_fields(request) if can_see_full_phone(request) else []

    def get_list_display(self, request):
        full = can_see_full_phone(request)
        return ["phone" if full and n == "phone_masked" else n for n in self.list_display]

    def get_fields(self, request, obj=None):
        fields = ["phone", "reason", "source", "opted_out_at"]
        if obj is not None and not can_see_full_phone(request):
            # An existing number stays hidden from them: shown masked, not editable.
            return ["phone_masked", *fields[1:]]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return ["phone_masked"] if obj is not None and not can_see_full_phone(request) else []


@admin.register(RecipientDailyCount)
class RecipientDailyCountAdmin(PhoneLookupsMixin, ReadOnlyAdmin):
    """How many messages of each tag each recipient got per day, as the cap counts them."""

    list_display = ["day", "phone_masked", "tag", "count", "refused"]
    list_filter = ["tag", "day"]

    def get_fields(self, request, obj=None):
        # The page lists every field read-only: the number whole only for those who may.
        phone = "phone" if can_see_full_phone(request) else "phone_masked"
        return ["day", phone, "tag", "count", "refused"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("phone"), ordering="phone")
    def phone_masked(self, obj: RecipientDailyCount) -> str:
        return mask(obj.phone)

    def get_list_display(self, request):
        full = can_see_full_phone(request)
        return ["phone" if full and n == "phone_masked" else n for n in self.list_display]
