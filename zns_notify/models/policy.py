"""The policy engine's own tables (imported by :mod:`zns_notify.models`).

Both are read and written by the worker only, never on the event hot path.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zns_notify.lib.phones import mask


class RecipientOptOut(models.Model):
    """A customer who asked not to get CUSTOMER_CARE or PROMOTION messages (see
    ``ZNS_NOTIFY["OPT_OUT_TAGS"]``); TRANSACTION messages still reach them."""

    class Source(models.TextChoices):
        ADMIN = "admin", _("Admin")
        API = "api", _("Python API")
        CUSTOMER = "customer", _("Customer request")
        IMPORT = "import", _("Import")

    phone = models.CharField(
        _("phone"), max_length=20, unique=True, help_text=_("Normalized as 84xxxxxxxxx.")
    )
    reason = models.TextField(_("reason"), blank=True)
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.ADMIN
    )
    opted_out_at = models.DateTimeField(_("opted out at"), default=timezone.now)

    class Meta:
        verbose_name = _("opted-out recipient")
        verbose_name_plural = _("opted-out recipients")
        ordering = ["-opted_out_at"]

    def __str__(self) -> str:
        return mask(self.phone)


class RecipientDailyCount(models.Model):
    """How many messages of one tag one phone was sent on one local day: the ledger of the
    per-recipient cap. A worker reserves a slot (a conditional increment) before it calls
    Zalo and gives it back when Zalo did not accept the message."""

    phone = models.CharField(_("phone"), max_length=20)
    day = models.DateField(_("day"))
    tag = models.CharField(_("tag"), max_length=32, blank=True)
    count = models.PositiveIntegerField(_("messages"), default=0)
    # Counted so that what the cap withholds is visible without searching the log (the
    # quota page's "recipient cap today"): an order notice it skips is a customer not told.
    refused = models.PositiveIntegerField(
        _("refused by the cap"),
        default=0,
        help_text=_("Messages over the cap this day: skipped, or deferred to the next day."),
    )

    class Meta:
        verbose_name = _("recipient daily count")
        verbose_name_plural = _("recipient daily counts")
        ordering = ["-day", "phone", "tag"]
        constraints = [
            models.UniqueConstraint(fields=["phone", "day", "tag"], name="zns_cap_phone_day_tag"),
        ]
        indexes = [
            # The day's refusals by tag (the quota page), without scanning every recipient's
            # count: partial, so only a refusal writes to it, never a slot taken or given back.
            models.Index(
                fields=["day", "tag"],
                name="zns_cap_refused_day",
                condition=models.Q(refused__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.tag}: {self.count}"
