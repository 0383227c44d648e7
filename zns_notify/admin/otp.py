"""The admin page of one-time codes (docs/otp.md, docs/operators/otp.md): each request's
masked phone, purpose, outcome, channel, times and latencies (to Zalo, to delivery, to
the SMS), the SMS's cost, linked to its message. Read only; the code is never stored, and
its keyed hash and the client IP's hash are not shown either: they are of no use to an
operator and a hash of a short code is a clue to it."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from zns_notify.admin.base import PhoneLookupsMixin, ReadOnlyAdmin, SecretLookupsMixin
from zns_notify.conf import app_settings
from zns_notify.display import formats
from zns_notify.lib.phones import can_see_full_phone, mask
from zns_notify.models import FallbackStep, OtpChallenge


def purpose_label(purpose: str) -> str:
    """The purpose's label from ``OTP_PURPOSES`` (translated), else its stored name: a
    purpose removed from the settings since still reads as something."""
    label = app_settings.OTP_PURPOSES.get(purpose)
    return gettext(label) if label else purpose


class PurposeFilter(admin.SimpleListFilter):
    """The configured purposes, in words (the column has no choices: the shop names them)."""

    title = _("purpose")
    parameter_name = "purpose"

    def lookups(self, request, model_admin):
        return [(name, purpose_label(name)) for name in app_settings.OTP_PURPOSES]

    def queryset(self, request, queryset):
        return queryset.filter(purpose=self.value()) if self.value() else queryset


@admin.register(OtpChallenge)
class OtpChallengeAdmin(SecretLookupsMixin, PhoneLookupsMixin, ReadOnlyAdmin):
    # Never code_hash nor ip_hash: not in the list, the detail page, the filters or search.
    secret_paths = (("code_hash",), ("ip_hash",))
    list_display = [
        "created_at",
        "phone_display",
        "purpose_display",
        "status",
        "channel",
        "expires_at",
        "consumed_at",
        "wire_latency",
        "delivery_latency",
        "message_link",
    ]
    list_filter = [PurposeFilter, "status", "channel"]
    list_select_related = ["message"]
    show_full_result_count = False
    fields = [
        "phone_display",
        "purpose_display",
        "status",
        "channel",
        "tries_used",
        "created_at",
        "expires_at",
        "consumed_at",
        "wire_latency",
        "delivery_latency",
        "sms_latency",
        "sms_cost",
        "message_link",
        "code_cleared_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        # The hashes are not even read: a template or a future column cannot show them.
        return super().get_queryset(request).defer("code_hash", "ip_hash")

    def get_list_display(self, request):
        return self._phone_column(request, super().get_list_display(request))

    def get_fields(self, request, obj=None):
        return self._phone_column(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return self._phone_column(request, super().get_readonly_fields(request, obj))

    def _phone_column(self, request, names) -> list[str]:
        """The whole number for staff with ``view_full_phone``, as in the delivery log;
        chosen per request (the admin object is shared by every request)."""
        if not can_see_full_phone(request):
            return list(names)
        return ["phone_full" if name == "phone_display" else name for name in names]

    @admin.display(description=_("phone"), ordering="phone")
    def phone_display(self, obj: OtpChallenge) -> str:
        return mask(obj.phone)

    @admin.display(description=_("phone"), ordering="phone")
    def phone_full(self, obj: OtpChallenge) -> str:
        return obj.phone

    @admin.display(description=_("purpose"), ordering="purpose")
    def purpose_display(self, obj: OtpChallenge) -> str:
        return purpose_label(obj.purpose)

    @admin.display(description=_("latency to Zalo"))
    def wire_latency(self, obj: OtpChallenge) -> str:
        """From the request to Zalo's acceptance of the message (its ``sent_at``): the time
        the priority lane promises; blank while it is not sent, or when it never was
        (failed at once: the message says why)."""
        return _since_request(obj, obj.message.sent_at if obj.message_id else None)

    @admin.display(description=_("latency to delivery"))
    def delivery_latency(self, obj: OtpChallenge) -> str:
        """From the request to Zalo's delivery receipt: when the customer could read it."""
        return _since_request(obj, obj.message.delivered_at if obj.message_id else None)

    @admin.display(description=_("SMS sent after"))
    def sms_latency(self, obj: OtpChallenge) -> str:
        step = self._sent_sms(obj)
        return _since_request(obj, step.sent_at if step else None)

    @admin.display(description=_("SMS cost"))
    def sms_cost(self, obj: OtpChallenge) -> str:
        """The provider's price of the code's SMS (an estimate from ``SMS_COST_PER_SEGMENT``
        when it does not say), with its segments; blank when no SMS went out."""
        step = self._sent_sms(obj)
        if step is None:
            return ""
        return ngettext(
            "%(cost)s (%(segments)s segment)", "%(cost)s (%(segments)s segments)", step.segments
        ) % {"cost": formats.money(step.cost), "segments": formats.number(step.segments)}

    @staticmethod
    def _sent_sms(obj: OtpChallenge) -> FallbackStep | None:
        """The code's SMS if one went out; read once per row (the detail page only)."""
        if not hasattr(obj, "_zns_sent_sms"):
            obj._zns_sent_sms = (
                FallbackStep.objects.filter(
                    message_id=obj.message_id, status=FallbackStep.Status.SENT
                ).first()
                if obj.message_id
                else None
            )
        return obj._zns_sent_sms

    @admin.display(description=_("message"))
    def message_link(self, obj: OtpChallenge) -> str:
        if not obj.message_id:
            return ""
        # The delivery log's own permission decides whether the link opens.
        text = gettext("Message #%(pk)s") % {"pk": obj.message_id}
        url = reverse("admin:zns_notify_message_change", args=[obj.message_id])
        return format_html('<a href="{}">{}</a>', url, text)


def _since_request(obj: OtpChallenge, moment: dt.datetime | None) -> str:
    """Seconds from the request to ``moment``; blank when it has not happened."""
    if moment is None:
        return ""
    return formats.seconds((moment - obj.created_at).total_seconds())
