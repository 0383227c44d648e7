"""Zalo templates as synced, and the operator's event -> template bindings."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from zns_notify.models.journeys import JourneyType
from zns_notify.models.sms_triggers import default_triggers

#: The window is a wait for a receipt; a day is already longer than any ZNS timeout.
MAX_SMS_WINDOW_MINUTES = 24 * 60

#: What :meth:`Binding.clean` checks: :func:`zns_notify.bindings.validation.validate_binding`,
#: installed by the app's ``ready()``. The checks render the expressions and ask the SMS
#: fallback, which sit above the models in the dependency rule (docs/architecture.md), so
#: the model is handed them rather than importing them.
_binding_checks: Callable[[Binding], None] | None = None


def install_binding_checks(check: Callable[[Binding], None]) -> None:
    """Make ``check`` (raising ValidationError, keyed by field) what Binding.clean() runs."""
    global _binding_checks
    _binding_checks = check


class Template(models.Model):
    """A ZNS template as Zalo knows it, synced from its template API."""

    class Status(models.TextChoices):
        ENABLE = "ENABLE", _("Enabled")
        PENDING_REVIEW = "PENDING_REVIEW", _("Pending review")
        REJECT = "REJECT", _("Rejected")
        DISABLE = "DISABLE", _("Disabled")
        DELETE = "DELETE", _("Deleted")
        #: A status Zalo sent that is none of the above: the raw value is in ``sync_note``.
        UNKNOWN = "UNKNOWN", _("Unknown (see the note)")

    template_id = models.CharField(_("Zalo template id"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255)
    # Only these choices are stored (zalo.templates.normalize_status): a status Zalo may
    # add is UNKNOWN, its raw value in sync_note.
    status = models.CharField(
        _("status"), max_length=32, choices=Status.choices, default=Status.PENDING_REVIEW
    )
    tag = models.CharField(
        _("tag"), max_length=32, blank=True, help_text=_("TRANSACTION, CUSTOMER_CARE or PROMOTION.")
    )
    zalo_tag = models.CharField(
        _("tag as Zalo sent it"),
        max_length=32,
        blank=True,
        help_text=_("Old (IN_TRANSACTION, POST_TRANSACTION…) or new vocabulary; tag is its group."),
    )
    params = models.JSONField(
        _("parameters"),
        default=list,
        blank=True,
        help_text=_("Parameter specs from Zalo: name, require, type, min/max length, accept null."),
    )
    buttons = models.JSONField(_("buttons"), default=list, blank=True)
    quality = models.CharField(_("quality"), max_length=16, blank=True)
    price = models.DecimalField(
        _("price (VND)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    price_uid = models.DecimalField(
        _("price by Zalo user id (VND)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    preview_url = models.URLField(_("preview URL"), max_length=500, blank=True)
    timeout_ms = models.PositiveIntegerField(_("delivery timeout (ms)"), null=True, blank=True)
    reason = models.TextField(_("Zalo's review note"), blank=True)
    synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    missing_since = models.DateTimeField(
        _("missing from Zalo since"),
        null=True,
        blank=True,
        help_text=_("Set when a full sync no longer finds the template in Zalo's list."),
    )
    params_changed_at = models.DateTimeField(_("parameters changed at"), null=True, blank=True)
    sync_note = models.TextField(
        _("sync note"),
        blank=True,
        help_text=_("What the last sync noticed: a change or a disappearance."),
    )

    class Meta:
        verbose_name = _("template")
        verbose_name_plural = _("templates")
        ordering = ["template_id"]

    def __str__(self) -> str:
        return f"{self.template_id} · {self.name}"

    @property
    def is_sendable(self) -> bool:
        return self.status == self.Status.ENABLE

    def param_specs(self) -> dict[str, dict]:
        return {spec["name"]: spec for spec in self.params or []}


class Binding(models.Model):
    """Sends one template when one event happens, with each param rendered from the order."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    event = models.CharField(_("event"), max_length=64)
    template = models.ForeignKey(
        Template, on_delete=models.PROTECT, related_name="bindings", verbose_name=_("template")
    )
    params = models.JSONField(
        _("parameter expressions"),
        default=dict,
        blank=True,
        help_text=_(
            "One Django template snippet per template parameter, e.g. "
            '{"order_code": "{{ order_code }}", "total_amount": "{{ order.total|vnd }}"}.'
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Policy (docs/policy.md): the message waits this long after its event, and is
    # cancelled at send time when the condition no longer holds.
    delay_minutes = models.PositiveIntegerField(
        _("delay (minutes)"),
        default=0,
        help_text=_("Send this many minutes after the event (0: at once)."),
    )
    condition = models.TextField(
        _("condition"),
        blank=True,
        help_text=_(
            "Optional. A condition in Django's template if-tag syntax over the same variables "
            'as the parameters, checked when the message is due, e.g. order.status == "new". '
            "When it no longer holds, the message is cancelled."
        ),
    )
    # The SMS fallback (docs/fallback.md): when Zalo cannot deliver, this text goes out
    # as an SMS, at once for the outcomes in sms_triggers, else after the window.
    sms_enabled = models.BooleanField(
        _("SMS fallback"),
        default=False,
        help_text=_("Send the SMS text when Zalo cannot deliver the message."),
    )
    sms_text = models.TextField(
        _("SMS text"),
        blank=True,
        help_text=_(
            "A Django template over the same variables as the parameters, plus params (the "
            'rendered ZNS parameters), e.g. "Don hang {{ order_code }} da duoc giao." '
            "Rendered when the SMS is sent."
        ),
    )
    sms_window_minutes = models.PositiveIntegerField(
        _("SMS window (minutes)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SMS_WINDOW_MINUTES)],
        help_text=_(
            "Without a delivery receipt this long after Zalo accepted the message, the SMS is sent."
        ),
    )
    sms_triggers = models.JSONField(
        _("SMS at once when"),
        default=default_triggers,
        blank=True,
        help_text=_(
            "A list of the ZNS outcomes that send the SMS without waiting for the "
            "window: not_on_zalo, refused, template, quota, failed, undelivered "
            "(docs/fallback.md)."
        ),
    )
    # ZNS Journey (docs/journeys.md): an order's messages of bindings with the same token
    # type go under one journey token per customer, billed once instead of one by one.
    journey_type = models.CharField(
        _("ZNS Journey"),
        max_length=32,
        blank=True,
        choices=JourneyType.choices,
        help_text=_(
            "Send this message under the order's delivery journey token: Zalo bills the "
            "token once (about 180 VND) when its first message goes out, instead of every "
            "message of the journey one by one. Worth it when an order gets two or more "
            "delivery notices; the template must be declared in the OA's journey set."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("binding")
        verbose_name_plural = _("bindings")
        ordering = ["event", "pk"]
        indexes = [models.Index(fields=["event", "is_active"], name="zns_binding_event_active")]

    def __str__(self) -> str:
        return self.name or f"{self.event} → {self.template_id}"

    def clean(self) -> None:
        if _binding_checks is None:
            raise ImproperlyConfigured("zns_notify's app is not ready: no binding checks yet.")
        _binding_checks(self)


#: Statuses of a message not sent yet: the due index's rows, left out of the partial
#: status index (an insert, always "queued", does not touch it).
