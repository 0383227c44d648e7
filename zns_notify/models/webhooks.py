"""Received Zalo webhooks and customers' service ratings (imported by :mod:`zns_notify.models`).

Every webhook that passes verification is stored with its raw body before anything else
looks at it, for audit; its unique ``dedup_key`` makes a redelivery change nothing.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.Model):
    """One verified webhook from Zalo, as received, and what processing it did."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        IGNORED = "ignored", _("Ignored")
        UNMATCHED = "unmatched", _("Waiting for its message")
        LATE = "late", _("Late delivery")
        STALE = "stale", _("Older than the state")
        ERROR = "error", _("Error")

    event_name = models.CharField(_("event"), max_length=64)
    dedup_key = models.CharField(
        _("deduplication key"),
        max_length=64,
        unique=True,
        help_text=_("SHA-256 of the event's identity: a redelivery has the same key."),
    )
    app_id = models.CharField(_("app id"), max_length=64, blank=True)
    subject = models.CharField(
        _("subject"),
        max_length=64,
        blank=True,
        help_text=_("Zalo message id, template id or OA id the event is about."),
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    signed_at = models.DateTimeField(
        _("signed at"), null=True, blank=True, help_text=_("The timestamp Zalo signed.")
    )
    body = models.TextField(_("raw body"))
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["event_name", "subject"], name="zns_webhook_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} {self.subject}".strip()


class MessageFeedback(models.Model):
    """A customer's answer to a service-rating template (Zalo's ``user_feedback``)."""

    message = models.ForeignKey(
        "zns_notify.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback",
        verbose_name=_("message"),
    )
    msg_id = models.CharField(_("Zalo message id"), max_length=64, blank=True)
    tracking_id = models.CharField(_("tracking id"), max_length=64, blank=True)
    rating_type = models.CharField(_("rating type"), max_length=32, blank=True)
    option = models.CharField(_("option"), max_length=32, blank=True)
    rate = models.SmallIntegerField(_("rating"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    feedbacks = models.JSONField(_("chosen answers"), default=list, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("customer rating")
        verbose_name_plural = _("customer ratings")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.rate}" if self.rate is not None else self.rating_type
