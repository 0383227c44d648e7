"""What an operator does on the delivery log beyond reading it (docs/operators/delivery-log.md):
export the list as CSV, resend a finished message as a new one, cancel one still waiting;
each on one message (buttons on its page) or on the selected ones (the list's actions).
The rules of each action live in :mod:`zns_notify.log.actions`; here are the pages, the
permissions they ask for and what the operator is told.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from zns_notify.lib.phones import can_see_full_phone
from zns_notify.log import actions as log_actions
from zns_notify.log.export import csv_response
from zns_notify.models import Message, holds_code

#: Actions that need more than reading the log, with the permission each needs.
GATED_ACTIONS = {
    "resend_selected": log_actions.RESEND_PERMISSION,
    "cancel_selected": log_actions.CANCEL_PERMISSION,
}


class MessageActionsMixin:
    """Export, resend and cancel on :class:`zns_notify.admin.log.MessageAdmin`: the extra
    URLs, the detail page's buttons, and the list's actions with their permissions."""

    # Each with view_message too, as the API asks (docs/permissions.md): a user cannot do
    # through the admin what the API refuses, nor act on messages they may not read.
    def has_resend_permission(self, request) -> bool:
        return self.has_view_permission(request) and request.user.has_perm(
            log_actions.RESEND_PERMISSION
        )

    def has_cancel_permission(self, request) -> bool:
        return self.has_view_permission(request) and request.user.has_perm(
            log_actions.CANCEL_PERMISSION
        )

    # -- the detail page's buttons ----------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        message = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), **self._buttons(request, message)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _buttons(self, request, message: Message | None) -> dict:
        if message is None:
            return {}
        return {
            "zns_can_resend": (
                self.has_resend_permission(request) and message.is_final and not holds_code(message)
            ),
            "zns_can_cancel": (
                self.has_cancel_permission(request) and message.status == log_actions.WAITING
            ),
        }

    # -- extra views: export, resend and cancel one message --------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("export/", view(self.export_view), name="zns_notify_message_export"),
            path(
                "<path:object_id>/resend/", view(self.resend_view), name="zns_notify_message_resend"
            ),
            path(
                "<path:object_id>/cancel/", view(self.cancel_view), name="zns_notify_message_cancel"
            ),
            *super().get_urls(),
        ]

    def export_view(self, request):
        """The whole list as filtered and searched now, as CSV (streamed)."""
        if not self.has_view_permission(request):
            return self._refuse(
                request, _("You need the permission to view the message log to export it."), None
            )
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return self._refuse(
                request, _("These filters are not valid; nothing was exported."), None
            )
        return csv_response(changelist.queryset, full_phone=can_see_full_phone(request))

    def resend_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_resend_permission(request):
            return self._refuse(
                request,
                _("You need the permission “Can resend messages” to resend a message."),
                self._readable(request, object_id),
            )
        message = self._message(request, object_id)
        try:
            copy = log_actions.resend(message, request.user)
        except log_actions.Refused as exc:
            return self._refuse(request, str(exc), message)
        self.message_user(
            request,
            _("Message #%(pk)s was resent as message #%(copy)s.")
            % {"pk": message.pk, "copy": copy.pk},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._change_url(copy.pk))

    def cancel_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_cancel_permission(request):
            return self._refuse(
                request,
                _("You need the permission “Can cancel waiting messages” to cancel a message."),
                self._readable(request, object_id),
            )
        message = self._message(request, object_id)
        try:
            done = log_actions.cancel(message, request.user)
        except log_actions.Refused as exc:
            return self._refuse(request, str(exc), message)
        if not done:
            return self._refuse(
                request,
                _("Message #%(pk)s was picked up by a worker before it could be cancelled.")
                % {"pk": message.pk},
                message,
            )
        self.message_user(
            request, _("Message #%(pk)s was cancelled.") % {"pk": message.pk}, messages.SUCCESS
        )
        return HttpResponseRedirect(self._change_url(message.pk))

    def _message(self, request, object_id) -> Message:
        # get_object answers None for an id that is not one (a typed URL), not a 500.
        message = self.get_object(request, unquote(object_id))
        if message is None:
            raise Http404(_("No message with this id."))
        return message

    def _readable(self, request, object_id) -> Message | None:
        """The message to return to after a refusal, for a reader of the log only: to
        anyone else the answer must not tell whether the id exists."""
        if not self.has_view_permission(request):
            return None
        return self._message(request, object_id)

    def _refuse(self, request, text: str, message: Message | None):
        self.message_user(request, text, messages.ERROR)
        if message is not None:
            return HttpResponseRedirect(self._change_url(message.pk))
        if self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:zns_notify_message_changelist"))
        return HttpResponseRedirect(reverse("admin:index"))  # where the message can be read

    def _change_url(self, pk: int) -> str:
        return reverse("admin:zns_notify_message_change", args=[pk])

    # -- actions -----------------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        action = request.POST.get("action") if request.method == "POST" else None
        needed = GATED_ACTIONS.get(action)
        if needed and not request.user.has_perm(needed):
            # Django would only say "No action selected": say what is missing.
            self.message_user(
                request,
                _(
                    "You do not have the permission this action needs "
                    "(%(permission)s); nothing was changed."
                )
                % {"permission": needed},
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Export the selected messages to CSV"), permissions=["view"])
    def export_selected(self, request, queryset):
        return csv_response(queryset, full_phone=can_see_full_phone(request))

    @admin.action(description=_("Resend the selected messages"), permissions=["resend"])
    def resend_selected(self, request, queryset):
        chosen = list(queryset.order_by("pk")[: log_actions.MAX_RESEND + 1])
        if len(chosen) > log_actions.MAX_RESEND:
            self.message_user(
                request,
                _("Resend at most %(max)s messages at a time; nothing was resent.")
                % {"max": log_actions.MAX_RESEND},
                messages.ERROR,
            )
            return None
        copies, refusals = [], []
        for message in chosen:
            try:
                copies.append(log_actions.resend(message, request.user))
            except log_actions.Refused as exc:
                refusals.append(str(exc))
        if copies:
            self.message_user(
                request,
                ngettext(
                    "%(count)s message was resent.", "%(count)s messages were resent.", len(copies)
                )
                % {"count": len(copies)},
                messages.SUCCESS,
            )
        for refusal in refusals:
            self.message_user(request, refusal, messages.ERROR)
        return None

    @admin.action(description=_("Cancel the selected waiting messages"), permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        report = log_actions.cancel_many(queryset, request.user)
        if report.cancelled:
            self.message_user(
                request,
                ngettext(
                    "%(count)s message was cancelled.",
                    "%(count)s messages were cancelled.",
                    len(report.cancelled),
                )
                % {"count": len(report.cancelled)},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _(
                    "Nothing was cancelled: only messages still waiting to be sent (queued or "
                    "deferred) can be cancelled."
                ),
                messages.ERROR,
            )
        for refusal in report.refused.values():
            self.message_user(request, refusal, messages.WARNING)
        return None
