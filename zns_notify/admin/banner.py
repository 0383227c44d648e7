"""The "reconnect the Zalo OA" banner on every admin page, for staff.

A reusable app cannot add a context processor, a middleware or a template override of
``admin/base_site.html`` without the host's help (settings edits, or app order in
``INSTALLED_APPS``, and shops often override that template themselves). What every admin
page *does* go through is ``AdminSite.each_context(request)``, and what the admin always
renders is the messages framework (the admin's own system checks require it). So
:func:`install` wraps ``AdminSite.each_context`` once, additively: the original result is
returned unchanged, and when the current account needs reconnecting, or has sending on hold
for an error only an admin can fix, a warning message is queued for staff, rendered on that
same page. It covers the default admin site and any
``AdminSite`` subclass that calls ``super().each_context()``, as Django's docs require.
"""

from __future__ import annotations

import logging

from django.apps import apps
from django.contrib import messages
from django.contrib.admin import AdminSite
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from zns_notify.account.tokens import reconnect_message
from zns_notify.display.error_text import localized_reason
from zns_notify.models import SendingHold, ZaloAccount

logger = logging.getLogger(__name__)

_MARK = "_zns_notify_banner"


def install() -> None:
    if not apps.is_installed("django.contrib.admin"):
        return
    original = AdminSite.each_context
    if getattr(original, _MARK, False):
        return

    def each_context(self, request):
        context = original(self, request)
        try:
            add_reconnect_banner(request)
        except Exception:  # a banner must never break an admin page
            logger.exception("zns_notify: could not check the Zalo account for the admin banner")
        return context

    setattr(each_context, _MARK, True)
    each_context.__wrapped__ = original
    each_context.__doc__ = original.__doc__
    AdminSite.each_context = each_context


def add_reconnect_banner(request) -> None:
    user = getattr(request, "user", None)
    if not (user and user.is_active and user.is_staff) or getattr(request, _MARK, False):
        return
    setattr(request, _MARK, True)  # once per request, however often each_context runs
    account = ZaloAccount.objects.current()
    if account is None:
        return
    if account.needs_reconnect:
        text = _with_link(
            reconnect_message(account),
            "admin:zns_notify_zaloaccount_changelist",
            _("Reconnect the Zalo OA"),
        )
        messages.warning(request, text, fail_silently=True)
    held = _active_holds(account)
    if held:
        summary = _("Sending is on hold until an administrator fixes it: %(reasons)s") % {
            "reasons": "; ".join(held)
        }
        text = _with_link(summary, "admin:zns_notify_sendinghold_changelist", _("See the holds"))
        messages.warning(request, text, fail_silently=True)


def _active_holds(account) -> list[str]:
    """The distinct reasons of the account's active holds (errors only an admin can fix)."""
    reasons = (
        SendingHold.objects.filter(account=account, until__gt=timezone.now())
        .order_by("created_at")
        .values_list("error_code", "reason")[:3]
    )
    return list(dict.fromkeys(localized_reason(code, reason) for code, reason in reasons))


def _with_link(text: str, url_name: str, label: str):
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return text
    return format_html('{} <a href="{}">{}</a>', text, url, label)
