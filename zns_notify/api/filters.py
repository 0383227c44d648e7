"""Query parameters of the list and stats endpoints, validated like request bodies: a bad
value is a 400 naming the parameter, and so is a parameter the endpoint does not know (a
misspelt filter would otherwise return everything)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from zns_notify.exceptions import ZnsInvalidPhone
from zns_notify.lib import clock
from zns_notify.lib.phones import normalize_phone
from zns_notify.models import Message, Template

#: Query parameters every list accepts besides its filters.
PAGING_PARAMS = frozenset({"cursor", "page_size", "format"})
MAX_STATS_DAYS = 366


def day_start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the shop's ZNS time zone (Asia/Ho_Chi_Minh by default)."""
    return clock.day_bounds(day)[0]


class QuerySerializer(serializers.Serializer):
    """A serializer over ``request.query_params`` that refuses parameters it does not know."""

    default_error_messages = {"unknown_param": _("Unknown query parameter.")}
    extra_params: frozenset[str] = frozenset()

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        known = set(self.fields) | self.extra_params
        unknown = sorted(name for name in data if name not in known)
        if unknown:
            raise serializers.ValidationError(
                {name[:70]: [self.error_messages["unknown_param"]] for name in unknown}
            )
        return super().to_internal_value(data)


class CommaSeparatedChoices(serializers.MultipleChoiceField):
    """``?status=sent,delivered`` as well as ``?status=sent&status=delivered``."""

    def to_internal_value(self, data: Any) -> set[str]:
        items = [data] if isinstance(data, str) else list(data)
        split = [part.strip() for item in items for part in str(item).split(",") if part.strip()]
        return super().to_internal_value(split)


#: Dates the API accepts: far enough out for any shop, and clear of datetime's limits once
#: shifted by a day or a time zone (year 1 and 9999 overflow there).
FIRST_YEAR, LAST_YEAR = 1900, 9998


def _in_range(value: dt.date) -> bool:
    return FIRST_YEAR <= value.year <= LAST_YEAR


class BoundedDateField(serializers.DateField):
    default_error_messages = {
        "range": _("Use a date between {first} and {last}."),
    }

    def to_internal_value(self, value):
        date = super().to_internal_value(value)
        if not _in_range(date):
            self.fail("range", first=FIRST_YEAR, last=LAST_YEAR)
        return date


@extend_schema_field(
    {
        "type": "string",
        "example": "2026-11-22",
        "description": "A date (YYYY-MM-DD) or a date and time (ISO 8601).",
    }
)
class MomentField(serializers.Field):
    """A date or an ISO 8601 date and time. A date stands for the whole day in the shop's
    ZNS time zone; a date and time without offset is read in that zone too."""

    default_error_messages = {
        "invalid": _("Use a date (YYYY-MM-DD) or a date and time (ISO 8601)."),
        "range": _("Use a date between {first} and {last}."),
    }

    def to_internal_value(self, data: Any) -> dt.date | dt.datetime:
        text = str(data).strip()
        try:
            value = parse_date(text) or parse_datetime(text)
        except ValueError:
            value = None
        if value is None:
            self.fail("invalid")
        if not _in_range(value):
            self.fail("range", first=FIRST_YEAR, last=LAST_YEAR)
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=clock.zone())
        return value

    def to_representation(self, value: Any) -> str:
        return value.isoformat()


class OptionalBooleanField(serializers.BooleanField):
    """Absent means "either": DRF's BooleanField reads an absent query parameter as false."""

    default_empty_html = serializers.empty


class MessageFilters(QuerySerializer):
    extra_params = PAGING_PARAMS

    status = CommaSeparatedChoices(
        choices=Message.Status.choices,
        required=False,
        help_text=_("One status or several, comma-separated."),
    )
    event = serializers.CharField(required=False, max_length=64)
    template = serializers.CharField(
        required=False, max_length=32, help_text=_("Zalo template id.")
    )
    order_ref = serializers.CharField(required=False, max_length=64)
    phone = serializers.CharField(
        required=False,
        max_length=32,
        help_text=_(
            "Any form (0912 345 678, +84912345678…); needs the permission to see "
            "full phone numbers."
        ),
    )
    created_from = MomentField(required=False, help_text=_("From this moment or day on."))
    created_to = MomentField(
        required=False, help_text=_("Up to this moment, or to the end of this day.")
    )

    def validate_phone(self, value: str) -> str:
        try:
            return normalize_phone(value)
        except ZnsInvalidPhone as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def filter(self, queryset: QuerySet[Message]) -> QuerySet[Message]:
        values = self.validated_data
        if values.get("status"):
            queryset = queryset.filter(status__in=sorted(values["status"]))
        for name, lookup in (
            ("event", "event"),
            ("template", "zalo_template_id"),
            ("order_ref", "order_ref"),
            ("phone", "phone"),
        ):
            if values.get(name):
                queryset = queryset.filter(**{lookup: values[name]})
        if "created_from" in values:
            start = values["created_from"]
            start = start if isinstance(start, dt.datetime) else day_start(start)
            queryset = queryset.filter(created_at__gte=start)
        if "created_to" in values:
            end = values["created_to"]
            if isinstance(end, dt.datetime):
                queryset = queryset.filter(created_at__lte=end)
            else:
                queryset = queryset.filter(created_at__lt=day_start(end + dt.timedelta(days=1)))
        return queryset


class TemplateFilters(QuerySerializer):
    extra_params = PAGING_PARAMS

    status = CommaSeparatedChoices(
        choices=Template.Status.choices,
        required=False,
        help_text=_("One status or several, comma-separated."),
    )

    def filter(self, queryset: QuerySet) -> QuerySet:
        statuses = self.validated_data.get("status")
        return queryset.filter(status__in=sorted(statuses)) if statuses else queryset


class BindingFilters(QuerySerializer):
    extra_params = PAGING_PARAMS

    event = serializers.CharField(required=False, max_length=64)
    is_active = OptionalBooleanField(required=False, allow_null=True, default=None)

    def filter(self, queryset: QuerySet) -> QuerySet:
        values = self.validated_data
        if values.get("event"):
            queryset = queryset.filter(event=values["event"])
        if values.get("is_active") is not None:
            queryset = queryset.filter(is_active=values["is_active"])
        return queryset


class StatsQuery(QuerySerializer):
    extra_params = frozenset({"format"})
    default_error_messages = {
        "order": _("from is after to."),
        "span": _("At most %(max)d days at a time."),
    }

    group = serializers.ChoiceField(
        choices=[("day", _("day")), ("template", _("template"))], required=False, default="day"
    )

    def get_fields(self):
        # "from" is a Python keyword, so the two dates are declared here.
        fields = super().get_fields()
        fields["from"] = BoundedDateField(
            required=False, help_text=_("First day (default: 6 days before to).")
        )
        fields["to"] = BoundedDateField(
            required=False, help_text=_("Last day, included (default: today).")
        )
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Django's clock, as everywhere else: the one a host's or a test's clock moves.
        end = attrs.get("to") or clock.local_day()
        start = attrs.get("from") or end - dt.timedelta(days=6)
        if start > end:
            raise serializers.ValidationError({"from": [self.error_messages["order"]]})
        if (end - start).days + 1 > MAX_STATS_DAYS:
            raise serializers.ValidationError(
                {"from": [self.error_messages["span"] % {"max": MAX_STATS_DAYS}]}
            )
        return {**attrs, "from": start, "to": end}
