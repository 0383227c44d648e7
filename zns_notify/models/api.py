"""What the REST API keeps beyond the outbox: the idempotency keys of reported events."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventReport(models.Model):
    """An order event reported through ``POST /zns/api/events/`` under an idempotency key.

    The unique (client, key) pair is what makes a retried request free: a second request
    with the key waits for the first one's transaction and then answers from this row.
    Only a hash of the body is kept, never the body (it carries a phone number).
    """

    client = models.CharField(
        _("client"),
        max_length=150,
        blank=True,
        help_text=_("Primary key of the user who reported the event; keys are per user."),
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    request_hash = models.CharField(
        _("request hash"),
        max_length=64,
        help_text=_("SHA-256 of the request body, canonical JSON."),
    )
    event = models.CharField(_("event"), max_length=64)
    order_ref = models.CharField(_("order reference"), max_length=64)
    message_keys = models.JSONField(_("message keys"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("reported event")
        verbose_name_plural = _("reported events")
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="zns_eventreport_client_key"),
        ]

    def __str__(self) -> str:
        return f"{self.event} · {self.order_ref}"
