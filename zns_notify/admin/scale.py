"""What keeps the message log's admin fast at a million rows (docs/performance.md, "Admin at
1,000,000 messages"): a paginator that never counts the table, filters whose choices are
known without reading it, and a search that only asks indexed columns."""

from __future__ import annotations

from django.contrib import admin
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from zns_notify.display.labels import event_choices
from zns_notify.exceptions import ZnsInvalidPhone
from zns_notify.lib.phones import normalize_phone
from zns_notify.models import UNSENT_STATUSES, Message, Template
from zns_notify.models.error_categories import labels as error_category_labels
from zns_notify.models.messages import categorized_condition, sent_status_condition

#: Pages shown past the current one; the paginator reads no further than that.
PAGES_AHEAD = 5
#: At most this many messages match one search term (a phone with years of orders).
SEARCH_LIMIT = 1000


class NoCountPaginator(Paginator):
    """Counts the rows up to a few pages past the current one instead of all of them.

    ``COUNT(*)`` over a million rows costs seconds on SQLite; reading the primary keys of
    the next few pages along the ordering index costs milliseconds. When rows remain beyond
    that window the count is a lower bound (``is_estimate``) and the navigation shows the
    pages it knows about, "more pages" style.
    """

    def __init__(self, object_list, per_page, page_number: int = 1, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.page_number = max(int(page_number), 1)
        self.is_estimate = False

    @cached_property
    def count(self) -> int:
        start = (self.page_number - 1) * self.per_page
        stop = start + self.per_page * (PAGES_AHEAD + 1) + 1  # one more row: "there is more"
        seen = len(self.object_list.values_list("pk", flat=True)[start:stop])
        if not seen and start:
            # Past the end (an old bookmark): count for real, as rare as it is, so that
            # the admin redirects to a page that exists.
            return self.object_list.count()
        # A full window: the last row read only proves that more follow.
        self.is_estimate = start + seen == stop
        return start + seen - self.is_estimate


def _choices(values: dict) -> list[tuple[str, str]]:
    return [(value, label) for value, label in values.items()]


class ChoicesFilter(admin.SimpleListFilter):
    """An exact-match filter whose choices come from code or settings, never from a
    ``SELECT DISTINCT`` over the message table."""

    field: str

    def choices_map(self) -> dict[str, str]:
        raise NotImplementedError

    def lookups(self, request, model_admin):
        return _choices(self.choices_map())

    def queryset(self, request, queryset):
        return queryset.filter(**{self.field: self.value()}) if self.value() else queryset


class StatusFilter(ChoicesFilter):
    title = _("status")
    parameter_name = "status__exact"
    field = "status"

    def choices_map(self) -> dict[str, str]:
        return dict(Message.Status.choices)

    def queryset(self, request, queryset):
        queryset = super().queryset(request, queryset)
        if self.value() and self.value() not in UNSENT_STATUSES:
            queryset = queryset.filter(sent_status_condition())
        return queryset


class EventFilter(ChoicesFilter):
    title = _("event")
    parameter_name = "event__exact"
    field = "event"

    def choices_map(self) -> dict[str, str]:
        return dict(event_choices())


class ErrorCategoryFilter(ChoicesFilter):
    title = _("error category")
    parameter_name = "error_category__exact"
    field = "error_category"

    def choices_map(self) -> dict[str, str]:
        return error_category_labels()

    def queryset(self, request, queryset):
        # Through the partial category index, newest first: without it a category no
        # message has walks the whole ordering index looking for a page of matches.
        queryset = super().queryset(request, queryset)
        return queryset.filter(categorized_condition()) if self.value() else queryset


class TemplateFilter(ChoicesFilter):
    title = _("template")
    parameter_name = "zalo_template_id"
    field = "zalo_template_id"

    def choices_map(self) -> dict[str, str]:
        # The template table holds tens of rows, not millions.
        return {t.template_id: str(t) for t in Template.objects.only("template_id", "name")}


def search_pks(term: str, *, phone_allowed: bool) -> list[int]:
    """The messages a search term names: a tracking id, a Zalo msg_id, an order reference,
    or (for staff who may see numbers) a phone number typed any way. Each is an exact match
    on an indexed column, so a search reads a few index entries, not the table."""
    term = term.strip()
    if not term:
        return []
    lookups = [
        Message.objects.filter(idempotency_key=term),
        # The partial index's own condition, spelled out so that SQLite uses it.
        Message.objects.filter(msg_id=term).exclude(msg_id=""),
        Message.objects.filter(order_ref=term),
    ]
    if phone_allowed:
        try:
            lookups.append(Message.objects.filter(phone=normalize_phone(term)))
        except ZnsInvalidPhone:
            pass
    pks: set[int] = set()
    for query in lookups:
        pks.update(query.order_by().values_list("pk", flat=True)[:SEARCH_LIMIT])
    return sorted(pks)
