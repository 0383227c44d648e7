"""Building blocks shared by zns_notify's admin modules: read-only pages and inlines for
what is an audit trail (the message log and its timeline, webhooks, quota, holds)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models.constants import LOOKUP_SEP

from zns_notify.lib.phones import can_see_full_phone


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, edited or deleted by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SecretLookupsMixin:
    """Refuses URL filters into what no reader may read, to everyone, superusers included:
    a filter such as ``?params__otp__startswith=9`` says by whether a row is listed what
    the page hides, and one character at a time spells it out. The answer is Django's 400
    for a disallowed lookup."""

    #: Paths (a field, or a relation then its field) never filtered on from the URL; a
    #: lookup is refused when its first parts are one of them.
    secret_paths: tuple[tuple[str, ...], ...] = ()

    def lookup_allowed(self, lookup, value, request=None):
        parts = tuple(lookup.split(LOOKUP_SEP))
        if any(parts[: len(path)] == path for path in self.secret_paths):
            return False
        return super().lookup_allowed(lookup, value, request)


class PhoneLookupsMixin:
    """Refuses URL filters on the fields that hold phone numbers (``?phone__startswith=849``)
    to staff without ``zns_notify.view_full_phone``: Django's admin allows a filter on any
    of the model's own fields, and one digit at a time such a filter spells out a number
    the page masks. The answer is Django's 400 for a disallowed lookup."""

    #: The model's fields whose values are, or may contain, a phone number.
    phone_fields: tuple[str, ...] = ("phone",)

    def lookup_allowed(self, lookup, value, request=None):
        if lookup.split(LOOKUP_SEP)[0] in self.phone_fields and not can_see_full_phone(request):
            return False
        return super().lookup_allowed(lookup, value, request)
