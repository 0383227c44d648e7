"""The delivery log's admin (docs/operators/delivery-log.md): a list that reads at a glance
(status badges, template, order linked to the shop's own admin, masked phone, error), a
detail page with the whole timeline (:mod:`zns_notify.admin.log_detail`), and the operators'
actions: resend, cancel, export (:mod:`zns_notify.admin.log_actions`).

What keeps it fast at a million rows lives in :mod:`zns_notify.admin.scale`; every column
here is read from the row itself or its template (``list_select_related``): no query per
row.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import PAGE_VAR
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from zns_notify.admin.base import PhoneLookupsMixin, ReadOnlyAdmin, SecretLookupsMixin
from zns_notify.admin.log_actions import MessageActionsMixin
from zns_notify.admin.log_detail import MessageDetailMixin
from zns_notify.admin.log_format import status_badge, status_label, when
from zns_notify.admin.policy import PolicyDecisionFilter, PolicyMessageAdminMixin
from zns_notify.admin.scale import (
    ErrorCategoryFilter,
    EventFilter,
    NoCountPaginator,
    StatusFilter,
    TemplateFilter,
    search_pks,
)
from zns_notify.conf import app_settings
from zns_notify.display.error_categories import label as error_category_label
from zns_notify.display.error_text import localized_reason
from zns_notify.lib.phones import can_see_full_phone, mask, mask_phones
from zns_notify.log.fallback import FallbackStatusFilter, channel_html
from zns_notify.log.journeys import JourneyFilter, journey_note
from zns_notify.models import Message
from zns_notify.models.error_categories import POLICY
from zns_notify.rendering.order_data import callable_at

logger = logging.getLogger(__name__)


def order_admin_url(
    site: admin.AdminSite, order_type: str, order_pk: str, order_ref: str = ""
) -> str | None:
    """The shop's page for the order: what ``ORDER_ADMIN_URL`` gives (an adapter's
    dashboard), else the admin page of its model when registered there (no query). None
    for ``api.order`` (events reported through the API name no model) and for models the
    admin does not show."""
    if not order_pk:
        return None
    custom = app_settings.ORDER_ADMIN_URL
    if custom is not None:
        return _custom_order_url(custom, order_type, order_pk, order_ref)
    pattern = _order_url_pattern(site, order_type)
    return pattern.replace(_PK_PLACEHOLDER, quote(order_pk)) if pattern else None


_PK_PLACEHOLDER = "__zns_order_pk__"


def _custom_order_url(setting, order_type: str, order_pk: str, order_ref: str) -> str | None:
    try:
        function = setting if callable(setting) else callable_at(str(setting))
        if function is None:
            return None  # zns_notify.E009 names the setting
        return function(order_type, order_pk, order_ref) or None
    except Exception:  # the shop's code (or its module's import): a broken link must not
        # break the delivery log
        logger.exception("ZNS_NOTIFY['ORDER_ADMIN_URL'] failed for order %s", order_pk)
        return None


@lru_cache(maxsize=64)
def _order_url_pattern(site: admin.AdminSite, order_type: str) -> str | None:
    # Cached: the admin's registry is complete once URLs are served; a page of a hundred
    # rows then costs a string replace each instead of a model look-up and a reverse().
    if not order_type:
        return None
    try:
        model = apps.get_model(order_type)
    except (LookupError, ValueError):
        return None
    if not site.is_registered(model):
        return None
    meta = model._meta
    try:
        return reverse(
            f"{site.name}:{meta.app_label}_{meta.model_name}_change", args=[_PK_PLACEHOLDER]
        )
    except NoReverseMatch:
        return None


#: The columns shown to staff with ``zns_notify.view_full_phone`` instead of their masked
#: ones (the list's and the detail page's).
FULL_COLUMNS = {"recipient_masked": "recipient_full", "error_display": "error_full"}


@admin.register(Message)
class MessageAdmin(
    MessageActionsMixin,
    MessageDetailMixin,
    SecretLookupsMixin,
    PhoneLookupsMixin,
    PolicyMessageAdminMixin,
    ReadOnlyAdmin,
):
    """The log is the shop's proof that a customer was told: never edited by hand; an
    operator may resend a finished message as a new one, or cancel one still waiting."""

    # A binding may put the number into a parameter (hence mask_params).
    phone_fields = ("phone", "params")
    # A one-time code's message holds the code in its parameters and in the request bodies
    # its attempts recorded (docs/otp.md): no filter on either, for anyone. A URL filter
    # cannot be refused row by row, so it is refused for every message.
    secret_paths = (("params",), ("events", "payload"))

    list_display = [
        "created_display",
        "status_display",
        "channel_display",
        "notification_display",
        "recipient_masked",
        "error_display",
    ]
    # At a million rows (docs/performance.md): filters with known choices, a date range
    # rather than date_hierarchy (whose year/day links are DISTINCT scans), no COUNT(*).
    list_filter = [
        StatusFilter,
        PolicyDecisionFilter,
        FallbackStatusFilter,
        JourneyFilter,
        EventFilter,
        TemplateFilter,
        ErrorCategoryFilter,
        ("created_at", admin.DateFieldListFilter),
    ]
    # The SMS step through its unique message_id: the channel column costs no query per row.
    list_select_related = ["template", "fallback_step"]
    # Exact matches only, each served by an index (zns_notify.admin.scale.search_pks).
    search_fields = ["=order_ref", "=msg_id", "=idempotency_key", "=phone"]
    search_help_text = _("An order reference, a Zalo msg_id, a tracking id or a phone number.")
    show_full_result_count = False
    actions = ["export_selected", "resend_selected", "cancel_selected"]

    class Media:
        css = {"all": ["zns_notify/admin/log.css"]}

    # -- the list --------------------------------------------------------------------------

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        try:
            page = int(request.GET.get(PAGE_VAR, 1))
        except ValueError:
            page = 1
        return NoCountPaginator(
            queryset, per_page, page, orphans=orphans, allow_empty_first_page=allow_empty_first_page
        )

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        # Searching by phone would tell staff who may not see numbers whether one is there.
        pks = search_pks(search_term, phone_allowed=can_see_full_phone(request))
        return queryset.filter(pk__in=pks), False

    def get_list_display(self, request):
        full = can_see_full_phone(request)
        return [FULL_COLUMNS.get(n, n) if full else n for n in self.list_display]

    @admin.display(description=_("created"), ordering="created_at")
    def created_display(self, obj: Message) -> str:
        return when(obj.created_at)

    @admin.display(description=_("status"))
    def status_display(self, obj: Message) -> str:
        badge = status_badge(obj.status, status_label(obj.status))
        notes = []
        # When it got there: the list's other timestamps, under the status they explain.
        if obj.delivered_at:
            notes.append(_timed(_("delivered %(at)s"), obj.delivered_at))
        elif obj.sent_at:
            notes.append(_timed(_("sent %(at)s"), obj.sent_at))
        if obj.status == Message.Status.QUEUED and obj.next_attempt_at:
            text = (
                _("deferred until %(until)s")
                if obj.error_category == POLICY
                else _("next try %(until)s")
            )
            notes.append(_timed(text, obj.next_attempt_at, "until"))
        if obj.attempts > 1:
            notes.append(_("%(count)s attempts") % {"count": obj.attempts})
        if obj.resent_from_id:
            notes.append(
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("admin:zns_notify_message_change", args=[obj.resent_from_id]),
                    _("↻ copy of #%(pk)s") % {"pk": obj.resent_from_id},
                )
            )
        if not notes:
            return badge
        return format_html(
            "{}{}",
            badge,
            format_html_join("", '<div class="zns-note">{}</div>', ((note,) for note in notes)),
        )

    @admin.display(description=_("channel"))
    def channel_display(self, obj: Message) -> str:
        # Under the channel, whether it went under the order's ZNS Journey (or outside it).
        return format_html("{}{}", channel_html(obj), journey_note(obj))

    @admin.display(description=_("event and template"))
    def notification_display(self, obj: Message) -> str:
        name = obj.template.name if obj.template_id and obj.template else ""
        template = f"{name} · {obj.zalo_template_id}" if name else obj.zalo_template_id
        return format_html(
            '{}<div class="zns-note zns-nowrap" title="{}">{}</div>', obj.event, template, template
        )

    @admin.display(description=_("template"))
    def template_display(self, obj: Message) -> str:
        name = obj.template.name if obj.template_id and obj.template else ""
        if not name:
            return obj.zalo_template_id
        return format_html('{}<div class="zns-note">{}</div>', name, obj.zalo_template_id)

    @admin.display(description=_("order"))
    def order_display(self, obj: Message) -> str:
        label = obj.order_ref or obj.order_pk
        url = order_admin_url(self.admin_site, obj.order_type, obj.order_pk, obj.order_ref)
        return format_html('<a href="{}">{}</a>', url, label) if url else label

    @admin.display(description=_("phone"), ordering="phone")
    def phone_masked(self, obj: Message) -> str:
        return mask(obj.phone)

    @admin.display(description=_("order and phone"))
    def recipient_masked(self, obj: Message) -> str:
        return format_html(
            '{}<div class="zns-note">{}</div>', self.order_display(obj), mask(obj.phone)
        )

    @admin.display(description=_("order and phone"))
    def recipient_full(self, obj: Message) -> str:
        return format_html('{}<div class="zns-note">{}</div>', self.order_display(obj), obj.phone)

    @admin.display(description=_("error"))
    def error_display(self, obj: Message) -> str:
        # A reason may quote the number (a provider's refusal): masked like the phone.
        return self._error_html(obj, mask_phones(obj.error_message, obj.phone))

    @admin.display(description=_("error"))
    def error_full(self, obj: Message) -> str:
        return self._error_html(obj, obj.error_message)

    def _error_html(self, obj: Message, error_message: str) -> str:
        if not (obj.error_category or obj.error_code is not None):
            return ""
        code = (
            ""
            if obj.error_code is None
            else format_html(' <span class="zns-code">{}</span>', obj.error_code)
        )
        # The category's name in the operator's language (its stored code, the filter's and
        # the API's value, stays in a data attribute for scripts and tests); the reason in the
        # operator's language where Zalo's code is known (zns_notify.display.error_text), whole on
        # hover of the shortened one.
        reason = localized_reason(obj.error_code, error_message)
        return format_html(
            '<span class="zns-category" data-category="{}">{}</span>{}'
            '<div class="zns-note zns-reason" title="{}">{}</div>',
            obj.error_category,
            error_category_label(obj.error_category),
            code,
            reason,
            _truncate(reason),
        )


def _timed(text, value, name: str = "at") -> str:
    """A translated note around a timestamp that never breaks inside the timestamp."""
    stamp = format_html('<span class="zns-when">{}</span>', when(value))
    return mark_safe(conditional_escape(str(text)) % {name: stamp})


def _truncate(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
