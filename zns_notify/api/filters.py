"""Query parameters of the list and stats endpoints, validated like request bodies: a bad
value is a 400 naming the parameter, and so is a parameter the endpoint does not know (a
misspelt filter would otherwise return everything)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from zns_notify.events.notify import EVENT_NAME
from zns_notify.exceptions import ZnsInvalidPhone
from zns_notify.lib import clock
from zns_notify.lib.phones import normalize_phone
from zns_notify.models import Message, Template

#: Query parameters every list accepts besides its filters.
PAGING_PARAMS = frozenset({"cursor", "page_size", "format"})
MAX_STATS_DAYS = 366
MAX_PAGE_SIZE = 500


class WholeTextValidator(RegexValidator):
    """A RegexValidator that checks the whole text against a ``^…$`` pattern the schema
    publishes. The schema's patterns are ECMA regexes, where ``$`` ends the text; Python's
    ``$`` (and RegexValidator's ``search``) also takes the text with a newline after it."""

    def __call__(self, value: Any) -> None:
        matched = self.regex.fullmatch(str(value)) is not None
        if matched == self.inverse_match:
            raise ValidationError(self.message, code=self.code, params={"value": value})


#: The server's check of an event name and the schema's pattern (drf-spectacular writes a
#: field's RegexValidator as its ``pattern``): the name notify() accepts.
EVENT_NAME_VALIDATOR = WholeTextValidator(
    EVENT_NAME, message=_("Use lowercase letters, digits and _ . - (at most 64 characters).")
)


def _written(pattern: str, separators: str) -> str:
    """``pattern`` (digits, ``\\d``, classes, groups, counts) with separators allowed after
    each digit, as people write numbers: ``0912 345 678``, ``(091) 234-5678``."""
    atom = re.compile(r"(\{[^}]*\})|(\\d|\[[^\]]*\]|\d)")
    return atom.sub(lambda m: m.group(1) or f"(?:{m.group(2)}{separators})", pattern)


def _written_mobile() -> re.Pattern:
    """A Vietnamese mobile number as typed (``+84``, ``84`` or ``0``, then the national
    number, separators between digits), from phonenumbers' own metadata: what the schema
    allows is what :func:`~zns_notify.lib.phones.normalize_phone` takes for a mobile."""
    separators = r"[ .()\-]*"
    national = phonenumbers.PhoneMetadata.metadata_for_region("VN").mobile.national_number_pattern
    return re.compile(
        rf"^{separators}(?:(?:\+{separators})?8{separators}4|0){separators}"
        rf"(?:{_written(national, separators)})$"
    )


WRITTEN_MOBILE = _written_mobile()
#: Dates the API accepts: far enough out for any shop, and clear of datetime's limits once
#: shifted by a day or a time zone. The pattern is the same range, written for the schema.
FIRST_YEAR, LAST_YEAR = 1900, 2999
DATE_PATTERN = r"^(?:19|2\d)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$"
#: A date and time as ISO 8601 writes it (RFC 3339, or without an offset: the shop's time).
DATETIME_PATTERN = (
    r"^(?:19|2\d)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])[Tt ]"
    r"(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?$"
)


def day_start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the shop's ZNS time zone (Asia/Ho_Chi_Minh by default)."""
    return clock.day_bounds(day)[0]


class QuerySerializer(serializers.Serializer):
    """A serializer over ``request.query_params`` that refuses parameters it does not know.
    Text is taken as given (no trimming): the schema's lengths and patterns are about the
    value sent."""

    default_error_messages = {
        "unknown_param": _("Unknown query parameter."),
        "blank": _("This parameter may not be blank."),
    }
    extra_params: frozenset[str] = frozenset()

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if isinstance(field, serializers.CharField):
                field.trim_whitespace = False
        return fields

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        known = set(self.fields) | self.extra_params
        unknown = sorted(name for name in data if name not in known)
        if unknown:
            raise serializers.ValidationError(
                {name[:70]: [self.error_messages["unknown_param"]] for name in unknown}
            )
        # DRF reads an empty optional parameter as absent: ?event= would filter nothing.
        blank = refused_blanks(data, self.fields)
        if blank:
            raise serializers.ValidationError(
                {name: [self.error_messages["blank"]] for name in blank}
            )
        return super().to_internal_value(data)


def refused_blanks(data: Any, names) -> list[str]:
    """The parameters among ``names`` given with an empty value."""
    values = data.getlist if hasattr(data, "getlist") else lambda name: [data[name]]
    return sorted(name for name in names if name in data and "" in values(name))


class PageSizeQuery(serializers.Serializer):
    """``?page_size=``, which DRF's pagination would otherwise ignore when it is not a
    number and cap when it is too large."""

    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if refused_blanks(data, ["page_size"]):
            raise serializers.ValidationError(
                {"page_size": [QuerySerializer.default_error_messages["blank"]]}
            )
        return super().to_internal_value(data)


class CommaSeparatedChoices(serializers.MultipleChoiceField):
    """``?status=sent,delivered`` as well as ``?status=sent&status=delivered``."""

    def to_internal_value(self, data: Any) -> set[str]:
        items = [data] if isinstance(data, str) else list(data)
        split = [part.strip() for item in items for part in str(item).split(",") if part.strip()]
        return super().to_internal_value(split)


def _in_range(value: dt.date) -> bool:
    return FIRST_YEAR <= value.year <= LAST_YEAR


class BoundedDateField(serializers.DateField):
    default_error_messages = {
        "range": _("Use a date between {first} and {last}."),
        "shape": _("Use a date as YYYY-MM-DD."),
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Python also reads 20261122 and 2026-W47-1 as dates; the schema's format does not.
        self.validators.append(
            WholeTextValidator(DATE_PATTERN, message=self.error_messages["shape"])
        )

    def to_internal_value(self, value):
        if not re.fullmatch(r"\d{4}-\d\d-\d\d", str(value)):
            self.fail("shape")
        date = super().to_internal_value(value)
        if not _in_range(date):
            self.fail("range", first=FIRST_YEAR, last=LAST_YEAR)
        return date


@extend_schema_field(
    {
        "type": "string",
        "anyOf": [
            {"format": "date", "pattern": DATE_PATTERN},
            {"pattern": DATETIME_PATTERN},
        ],
        "example": "2026-11-22",
        "description": "A date (YYYY-MM-DD) or a date and time (ISO 8601, with or without "
        f"an offset), years {FIRST_YEAR} to {LAST_YEAR}.",
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
        text = str(data)
        try:
            # fullmatch: the schema's ``$`` does not take a newline after the text.
            if re.fullmatch(DATE_PATTERN, text):
                value = parse_date(text)
            elif re.fullmatch(DATETIME_PATTERN, text):
                value = parse_datetime(text)
            else:
                value = None
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


@extend_schema_field({"type": "string", "pattern": WRITTEN_MOBILE.pattern, "maxLength": 32})
class PhoneFilterField(serializers.CharField):
    """A Vietnamese mobile number as typed, normalized to ``84…``; anything else is refused
    with the reason (a landline, a foreign number…), the number masked."""

    default_error_messages = {
        "mobile": _("Use a Vietnamese mobile number: +84, 84 or 0, then the number."),
    }

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        # The length as typed: the normalized number is always short enough.
        self.run_validators(text)
        try:
            normalized = normalize_phone(text)
        except ZnsInvalidPhone as exc:
            raise serializers.ValidationError(str(exc)) from exc
        if not WRITTEN_MOBILE.fullmatch(text):
            self.fail("mobile")
        return normalized


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
    event = serializers.CharField(required=False, max_length=64, validators=[EVENT_NAME_VALIDATOR])
    template = serializers.CharField(
        required=False, max_length=32, help_text=_("Zalo template id.")
    )
    order_ref = serializers.CharField(required=False, max_length=64)
    phone = PhoneFilterField(
        required=False,
        max_length=32,
        help_text=_(
            "A Vietnamese mobile number in any form (0912 345 678, +84912345678…); needs "
            "the permission to see full phone numbers."
        ),
    )
    created_from = MomentField(required=False, help_text=_("From this moment or day on."))
    created_to = MomentField(
        required=False, help_text=_("Up to this moment, or to the end of this day.")
    )

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

    event = serializers.CharField(required=False, max_length=64, validators=[EVENT_NAME_VALIDATOR])
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
            required=False,
            help_text=_("First day (default: 6 days before to); at most %(max)d days before to.")
            % {"max": MAX_STATS_DAYS - 1},
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
