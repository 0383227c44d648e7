"""ZNS Journey: one Zalo journey token per customer and order's journey, under which the
delivery stage's notices are billed once instead of one by one (docs/journeys.md)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JourneyType(models.TextChoices):
    """The journey token types a shop's delivery stage may use (zns-api.md §2: Zalo also
    has coach-bus types, which no shop's order needs)."""

    LOGISTICS_7 = "token_logistics_7", _("Delivery journey, 7 days")
    LOGISTICS_30 = "token_logistics_30", _("Delivery journey, 30 days")


class Journey(models.Model):
    """An order's delivery journey for one phone: the token Zalo issued for it, how long it
    lives and whether Zalo billed it yet. At most one live journey per order, phone and
    token type (a partial unique constraint): the worker that inserts it asks Zalo for the
    token, the others wait for it (single-flight)."""

    class State(models.TextChoices):
        #: A worker is asking Zalo for the token (``requested_by`` holds the lease).
        REQUESTING = "requesting", _("Requesting a token")
        ACTIVE = "active", _("Active")
        #: Past its lifetime, by the clock, Zalo's -150 or its time-out event.
        EXPIRED = "expired", _("Expired")
        #: Zalo refused the token (-148, -149) or would not issue one.
        REFUSED = "refused", _("Refused")

    LIVE_STATES = (State.REQUESTING, State.ACTIVE)

    order_type = models.CharField(_("order model"), max_length=100, blank=True)
    order_pk = models.CharField(_("order primary key"), max_length=64, blank=True)
    order_ref = models.CharField(_("order reference"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=20)
    token_type = models.CharField(_("token type"), max_length=32, choices=JourneyType.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.REQUESTING
    )
    token = models.TextField(_("journey token"), blank=True, editable=False)
    journey_id = models.CharField(_("Zalo journey id"), max_length=64, blank=True)
    # The single-flight lease: which worker asks Zalo for the token, since when.
    requested_by = models.CharField(max_length=64, blank=True, editable=False)
    requested_at = models.DateTimeField(_("requested at"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # Billing starts with the first message Zalo accepts under the token (zns-api.md §2);
    # Zalo confirms it with event_journey_acknowledged.
    first_sent_at = models.DateTimeField(_("first message sent at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("billing acknowledged at"), null=True, blank=True)
    # The token's price when it was billed (JOURNEY_TOKEN_PRICE then): a later change of
    # the setting does not rewrite the past.
    price = models.DecimalField(
        _("token price (VND)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # Why it ended: a Zalo error code ("-150"), "time_out" (Zalo's event), "clock", or
    # "issue:<code>" when Zalo would not issue a token.
    end_reason = models.CharField(_("end reason"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("journey")
        verbose_name_plural = _("journeys")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_type", "order_pk", "phone", "token_type"],
                condition=models.Q(state__in=["requesting", "active"]),
                name="zns_journey_one_live",
            )
        ]
        indexes = [
            models.Index(fields=["journey_id"], name="zns_journey_zalo_id"),
            models.Index(fields=["first_sent_at"], name="zns_journey_first_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.order_ref or self.order_pk} · {self.get_token_type_display()}"

    @property
    def is_billed(self) -> bool:
        return self.first_sent_at is not None
