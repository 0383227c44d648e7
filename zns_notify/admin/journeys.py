"""The journeys' admin list (docs/operators/delivery-log.md "ZNS Journey"): each order's
journey token with its masked phone, type, state, when Zalo billed it, its messages, what
it cost and what they would have cost one by one. Read only, like the delivery log: a
journey is written by the workers and Zalo's webhooks, never by hand. The token itself is
a secret: never shown, filtered or searched on. Its costs are the reports' (docs/permissions.md):
their columns and fields are shown to staff who may view the reports only. The messages
are counted and priced for the page shown, in one query: the list's count never joins
them."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zns_notify.admin.base import PhoneLookupsMixin, ReadOnlyAdmin, SecretLookupsMixin
from zns_notify.admin.log import order_admin_url
from zns_notify.admin.log_format import status_label, when
from zns_notify.admin.log_journey import can_see_costs
from zns_notify.display import formats
from zns_notify.lib.phones import can_see_full_phone, mask
from zns_notify.models import Journey, Message, under_journey
from zns_notify.reports.journeys import attach_costs, journey_cost

#: Messages listed on a journey's page (a delivery stage has a handful).
SHOWN_MESSAGES = 50
#: The columns and fields of costs.
COSTS = ("cost_display", "one_by_one_display", "saving_display")


class JourneyChangeList(ChangeList):
    """The page's journeys with their messages counted and priced in one query."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        attach_costs(self.result_list)


@admin.register(Journey)
class JourneyAdmin(SecretLookupsMixin, PhoneLookupsMixin, ReadOnlyAdmin):
    secret_paths = (("token",),)
    list_display = [
        "created_display",
        "order_display",
        "phone_display",
        "token_type",
        "state",
        "billed_display",
        "messages_display",
        "cost_display",
        "one_by_one_display",
        "saving_display",
    ]
    list_filter = ["state", "token_type"]
    # Exact matches, each on an index or a short table: Zalo's journey id, the order.
    search_fields = ["=journey_id", "=order_ref"]
    search_help_text = _("A Zalo journey id or an order reference.")
    show_full_result_count = False
    fields = [
        "order_display",
        "phone_display",
        "token_type",
        "state",
        "journey_id",
        "issued_at",
        "expires_at",
        "billed_display",
        "acknowledged_at",
        "ended_at",
        "end_reason",
        "messages_display",
        "cost_display",
        "one_by_one_display",
        "saving_display",
        "message_links",
    ]
    readonly_fields = fields

    class Media:
        css = {"all": ["zns_notify/admin/log.css"]}

    def get_queryset(self, request):
        # The token is not even read: a template or a future column cannot show it.
        return super().get_queryset(request).defer("token")

    def get_changelist(self, request, **kwargs):
        return JourneyChangeList

    def get_list_display(self, request):
        return self._shown(request, super().get_list_display(request))

    def get_fields(self, request, obj=None):
        return self._shown(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return self._shown(request, super().get_readonly_fields(request, obj))

    def _shown(self, request, names) -> list[str]:
        """The whole number for staff with ``view_full_phone``, as in the delivery log; the
        costs for staff who may view the reports."""
        costs = can_see_costs(request)
        names = [name for name in names if costs or name not in COSTS]
        if not can_see_full_phone(request):
            return names
        return ["phone_full" if name == "phone_display" else name for name in names]

    @admin.display(description=_("created"), ordering="created_at")
    def created_display(self, obj: Journey) -> str:
        return when(obj.created_at)

    @admin.display(description=_("order"))
    def order_display(self, obj: Journey) -> str:
        label = obj.order_ref or obj.order_pk
        url = order_admin_url(self.admin_site, obj.order_type, obj.order_pk, obj.order_ref)
        return format_html('<a href="{}">{}</a>', url, label) if url else label

    @admin.display(description=_("phone"), ordering="phone")
    def phone_display(self, obj: Journey) -> str:
        return mask(obj.phone)

    @admin.display(description=_("phone"), ordering="phone")
    def phone_full(self, obj: Journey) -> str:
        return obj.phone

    @admin.display(description=_("billed"), ordering="first_sent_at")
    def billed_display(self, obj: Journey) -> str:
        return when(obj.first_sent_at) if obj.is_billed else gettext("not billed")

    @admin.display(description=_("messages"))
    def messages_display(self, obj: Journey) -> str:
        return formats.number(journey_cost(obj).messages)

    @admin.display(description=_("cost"))
    def cost_display(self, obj: Journey) -> str:
        return formats.money(journey_cost(obj).cost)

    @admin.display(description=_("one by one"))
    def one_by_one_display(self, obj: Journey) -> str:
        return formats.money(journey_cost(obj).one_by_one_cost)

    @admin.display(description=_("saving"))
    def saving_display(self, obj: Journey) -> str:
        saving = journey_cost(obj).saving
        css = "zns-negative" if saving < 0 else "zns-saving"
        return format_html('<span class="{}">{}</span>', css, formats.money(saving))

    @admin.display(description=_("its messages"))
    def message_links(self, obj: Journey) -> str:
        messages = Message.objects.filter(under_journey(), journey=obj)
        messages = messages.order_by(Coalesce("sent_at", "delivered_at"), "pk")
        rows = messages.values_list("pk", "event", "zalo_template_id", "status")[:SHOWN_MESSAGES]
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">#{}</a> {} · {} · {}</li>',
                (
                    (
                        reverse("admin:zns_notify_message_change", args=[pk]),
                        pk,
                        e,
                        t,
                        status_label(s),
                    )
                    for pk, e, t, s in rows
                ),
            ),
        )
