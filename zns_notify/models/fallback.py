"""The SMS fallback step of a ZNS message (docs/fallback.md): its own unit of work; and
the trigger categories stored on it (``FallbackStep.trigger``) and on a binding
(``Binding.sms_triggers``). Which ZNS outcome falls in which category, and the
categories' labels, are the fallback's logic: :mod:`zns_notify.fallback.triggers`."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: The ZNS outcomes a binding may choose to send its SMS at once for.
NOT_ON_ZALO = "not_on_zalo"
REFUSED = "refused"
TEMPLATE = "template"
QUOTA = "quota"
FAILED = "failed"
UNDELIVERED = "undelivered"
#: Not a binding's choice: a sent message without a receipt once the window is over.
WINDOW = "window"

#: Safe for every shop: outcomes after which Zalo will not deliver this message anyway.
#: TEMPLATE and QUOTA are opt-in: they give up a ZNS message that would otherwise wait
#: (an admin may re-enable the template, the quota resets at midnight) and pay an SMS.
DEFAULT_TRIGGERS = [NOT_ON_ZALO, REFUSED, FAILED, UNDELIVERED]


def default_triggers() -> list[str]:
    """``Binding.sms_triggers``' default (a callable: each binding gets its own list).

    Migration 0016 names it ``zns_notify.fallback.triggers.default_triggers``: that module
    imports it from here, so the migration and the model share this one function."""
    return list(DEFAULT_TRIGGERS)


class FallbackStep(models.Model):
    """The SMS that stands in for one ZNS message when Zalo cannot deliver it.

    At most one per message (the unique ``message``), written in the same transaction as
    the ZNS outcome that schedules it, and sent with the same ``reference`` on every try,
    so that the provider's duplicate check (eSMS's RequestId) makes a retry safe. Claimed
    like a message: a conditional UPDATE ``scheduled → sending`` that increments
    ``attempts``, the fencing token of every outcome write.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Reason(models.TextChoices):
        IMMEDIATE = "immediate", _("Zalo cannot deliver")
        WINDOW = "window", _("No receipt within the window")

    FINAL_STATUSES = frozenset({Status.SENT, Status.FAILED, Status.CANCELLED})

    message = models.OneToOneField(
        "zns_notify.Message",
        on_delete=models.CASCADE,
        related_name="fallback_step",
        verbose_name=_("message"),
    )
    channel = models.CharField(_("channel"), max_length=16, default="sms", editable=False)
    reference = models.CharField(
        _("reference"),
        max_length=64,
        unique=True,
        editable=False,
        help_text=_(
            "Sent to the SMS provider on every try (eSMS's RequestId), so that a "
            "retry never sends a second SMS."
        ),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    trigger = models.CharField(
        _("trigger"),
        max_length=32,
        blank=True,
        help_text=_("The ZNS outcome that called for the SMS (docs/fallback.md)."),
    )
    due_at = models.DateTimeField(_("due at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    text = models.TextField(_("SMS text"), blank=True)
    provider = models.CharField(_("provider"), max_length=64, blank=True)
    provider_message_id = models.CharField(_("provider's message id"), max_length=64, blank=True)
    encoding = models.CharField(_("encoding"), max_length=8, blank=True)
    segments = models.PositiveSmallIntegerField(_("segments"), default=0)
    cost = models.DecimalField(
        _("cost (VND)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    error_kind = models.CharField(_("error kind"), max_length=16, blank=True)
    error_message = models.TextField(_("reason"), blank=True)
    result = models.JSONField(_("last provider answer"), default=dict, blank=True)
    double_cost = models.BooleanField(
        _("double cost"),
        default=False,
        help_text=_("Zalo delivered the message after the SMS went out: both were paid."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("SMS fallback")
        verbose_name_plural = _("SMS fallbacks")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The sweeper's scan for due steps and for steps whose worker died.
            models.Index(fields=["status", "due_at", "id"], name="zns_fallback_due"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.get_status_display()}"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES
